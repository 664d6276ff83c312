export const FRAME_END = 0xce;
