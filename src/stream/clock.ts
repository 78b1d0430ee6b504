// The stream layer's clock lives in the leaf module ../clock.ts, so the core
// can name the Clock type without importing from stream/.
export { type Clock, systemClock, systemWallTime, ManualClock } from '../clock.ts';
