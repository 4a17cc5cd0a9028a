import {
  loadLibpcap, PCAP_ERRBUF_SIZE, PCAP_ERROR_NO_SUCH_DEVICE, PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED,
  PCAP_NETMASK_UNKNOWN, errbufText, readNative, type Libpcap,
} from './libpcap.js';
import { CaptureError } from './types.js';

/** What a live capture is opened with (see LiveCaptureOptions). */
export interface PcapOpenOptions {
  device: string;
  filter: string;
  snaplen: number;
  bufferSize: number;
  promisc: boolean;
  /** How long libpcap may hold frames before handing them over (its read timeout), in ms. */
  timeoutMs: number;
}

/** An activated pcap_t: its address and the LINKTYPE_* of its frames. */
export interface OpenedPcap {
  handle: number;
  linkType: number;
}

/** The NUL-terminated string at an address (latin1: interface names are ASCII). */
function cString(pcap: Libpcap, address: number): string {
  const text = Buffer.alloc(pcap.strlen(address));
  pcap.copyInto(text, address, text.length);
  return text.toString('latin1');
}

/** Names of the interfaces libpcap can capture on (pcap_findalldevs). */
function listInterfaces(): string[] {
  const pcap = loadLibpcap();
  const head = Buffer.alloc(8);
  const errbuf = Buffer.alloc(PCAP_ERRBUF_SIZE);
  if (pcap.findalldevs(head, errbuf) !== 0) return [];
  const first = readNative(head, 0, pcap.pointerBytes);
  // struct pcap_if { struct pcap_if *next; char *name; char *description; struct pcap_addr *addresses; bpf_u_int32 flags; }
  const p = pcap.pointerBytes;
  const node = Buffer.alloc(2 * p);
  const names: string[] = [];
  for (let at = first; at !== 0; at = readNative(node, 0, p)) {
    pcap.copyInto(node, at, node.length);
    names.push(cString(pcap, readNative(node, p, p)));
  }
  pcap.freealldevs(first);
  return names;
}

function noSuchInterface(device: string): CaptureError {
  return new CaptureError(`no such interface "${device}"; interfaces: ${listInterfaces().join(', ') || 'none'}`);
}

/** DLT_* as pcap_datalink gives it → LINKTYPE_* as files and the decoders number link types (they differ for raw IP). */
function linkTypeOfDlt(dlt: number): number {
  return dlt === 12 || dlt === 14 ? 101 : dlt;
}

/**
 * pcap_create + pcap_activate + the filter, as `tcpdump` does it: each failure a user can meet is
 * a one-line CaptureError (no such interface, with the ones there are; not permitted; a filter
 * that does not compile, in libpcap's words), and nothing stays open after one.
 */
export function openPcap(opts: PcapOpenOptions): OpenedPcap {
  const pcap = loadLibpcap();
  const errbuf = Buffer.alloc(PCAP_ERRBUF_SIZE);
  const handle = pcap.create(opts.device, errbuf);
  if (handle === 0) throw new CaptureError(`cannot capture on "${opts.device}": ${errbufText(errbuf)}`);
  try {
    pcap.setSnaplen(handle, opts.snaplen);
    pcap.setPromisc(handle, opts.promisc ? 1 : 0);
    pcap.setTimeout(handle, opts.timeoutMs);
    pcap.setBufferSize(handle, opts.bufferSize);
    const status = pcap.activate(handle);
    if (status < 0) throw activateError(pcap, handle, status, opts.device);
    const program = Buffer.alloc(16); // struct bpf_program { u_int bf_len; struct bpf_insn *bf_insns; }
    if (pcap.compile(handle, program, opts.filter, 1, PCAP_NETMASK_UNKNOWN) !== 0) {
      throw new CaptureError(`--filter "${opts.filter}" does not compile: ${pcap.geterr(handle)}`);
    }
    const set = pcap.setfilter(handle, program);
    pcap.freecode(program);
    if (set !== 0) throw new CaptureError(`cannot set --filter "${opts.filter}" on "${opts.device}": ${pcap.geterr(handle)}`);
    return { handle, linkType: linkTypeOfDlt(pcap.datalink(handle)) };
  } catch (err) {
    pcap.close(handle);
    throw err;
  }
}

function activateError(pcap: Libpcap, handle: number, status: number, device: string): CaptureError {
  const detail = pcap.geterr(handle) || pcap.statustostr(status);
  if (status === PCAP_ERROR_NO_SUCH_DEVICE) return noSuchInterface(device);
  if (status === PCAP_ERROR_PERM_DENIED || status === PCAP_ERROR_PROMISC_PERM_DENIED) {
    return new CaptureError(`capture on "${device}" is not permitted (${detail}): it needs root or the CAP_NET_RAW capability, e.g. run as a service with packaging/coapwatch.service (docs/live.md)`);
  }
  return new CaptureError(`cannot capture on "${device}": ${detail}`);
}
