// Conversation mutation fuzzing, shard 3 of 4 (see shard.ts and engine.ts).
import { conversationShard } from './shard.ts';

conversationShard(2);
