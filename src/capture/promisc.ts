import { constants, endianness } from 'node:os';
import { loadLibc, SOL_PACKET } from './packet-socket.js';
import { CaptureError } from './types.js';

const PACKET_DROP_MEMBERSHIP = 2;
const PACKET_MR_PROMISC = 1;
/** sizeof(struct packet_mreq): the kernel refuses anything shorter. */
const PACKET_MREQ_BYTES = 16;

/**
 * struct packet_mreq { int mr_ifindex; unsigned short mr_type; unsigned short mr_alen;
 * unsigned char mr_address[8]; } in the host's byte order, with no address, as libpcap fills
 * it in to ask for promiscuous mode.
 */
export function packetMreq(ifindex: number, type: number): Buffer {
  const mreq = Buffer.alloc(PACKET_MREQ_BYTES);
  if (endianness() === 'LE') {
    mreq.writeInt32LE(ifindex, 0);
    mreq.writeUInt16LE(type, 4);
  } else {
    mreq.writeInt32BE(ifindex, 0);
    mreq.writeUInt16BE(type, 4);
  }
  return mreq;
}

function errnoName(n: number): string {
  return Object.entries(constants.errno).find(([, v]) => v === n)?.[0] ?? `errno ${n}`;
}

/**
 * For --no-promisc. `cap` always has libpcap open the interface in promiscuous mode, which on
 * Linux is a PACKET_MR_PROMISC membership of the capture socket (pcap-linux.c, setup_socket);
 * dropping that membership again, right after the open and before the first frame is read,
 * leaves the interface as it was (another capture's promiscuous mode stays, as with tcpdump
 * -p). On `any` libpcap asks for no promiscuous mode, so there is nothing to undo.
 *
 * Checks now, before anything is opened, that it can be done (throws a one-line CaptureError
 * saying why not and what to install); returns the step to run on the capture socket once open.
 */
export function promiscuousOff(device: string): (fd: number | null) => void {
  if (device === 'any') return () => {};
  const fail = (reason: string) => new CaptureError(`cannot capture on "${device}" without promiscuous mode (--no-promisc): ${reason}`);
  const libc = loadLibc();
  if (typeof libc === 'string') throw fail(libc);
  return (fd) => {
    if (fd === null) throw fail('the socket libpcap opened was not found among the process\'s packet sockets (/proc/net/packet, /proc/self/fd)');
    const ifindex = libc.if_nametoindex(device);
    if (ifindex === 0) throw fail(`if_nametoindex failed (${errnoName(libc.errno())})`);
    if (libc.setsockopt(fd, SOL_PACKET, PACKET_DROP_MEMBERSHIP, packetMreq(ifindex, PACKET_MR_PROMISC), PACKET_MREQ_BYTES) !== 0) {
      throw fail(`setsockopt(PACKET_DROP_MEMBERSHIP) on the capture socket failed (${errnoName(libc.errno())})`);
    }
  };
}
