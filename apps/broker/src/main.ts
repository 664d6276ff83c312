import { FRAME_END } from '@app/codec';
console.log('Warren', FRAME_END);
