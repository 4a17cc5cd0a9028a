/**
 * What a layer decoder made of a frame. Plain numbers rather than objects or exceptions: the
 * decoders run once per packet and must neither allocate nor throw.
 */
export type LayerStatus = typeof DECODED | typeof MALFORMED | typeof IGNORED | typeof HELD | typeof UNSUPPORTED;

/** The layer was decoded and the next one can run. */
export const DECODED = 0;
/** A header was truncated or inconsistent: counted in stats.malformed. */
export const MALFORMED = 1;
/** Valid, but nothing for us (not IP, not UDP/TCP, ESP, ...): counted in stats.ignored. */
export const IGNORED = 2;
/** An IP fragment kept for reassembly: the reassembler does its own counting. */
export const HELD = 3;
/** A link type we do not decode: recorded in stats.unsupportedLinkTypes. */
export const UNSUPPORTED = 4;
