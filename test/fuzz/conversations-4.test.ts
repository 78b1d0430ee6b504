// Conversation mutation fuzzing, shard 4 of 4 (see shard.ts and engine.ts).
import { conversationShard } from './shard.ts';

conversationShard(3);
