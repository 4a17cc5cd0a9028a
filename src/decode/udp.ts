export const UDP_HEADER_LENGTH = 8;

/**
 * Length of the UDP datagram whose header is at buf[start], checked against the IP payload
 * buf[start, end): the length field cuts trailing bytes, and a length below the header size or
 * beyond the captured bytes returns -1 (malformed: a shortened payload would decode as a
 * different, complete CoAP message).
 */
export function udpDatagramLength(buf: Buffer, start: number, end: number): number {
  if (end - start < UDP_HEADER_LENGTH) return -1;
  const length = buf.readUInt16BE(start + 4);
  return length < UDP_HEADER_LENGTH || length > end - start ? -1 : length;
}
