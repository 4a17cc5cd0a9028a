import { endianness } from 'node:os';
import { describe, expect, it } from 'vitest';
import { openLibc } from '../../../src/capture/packet-socket.js';
import { packetMreq, promiscuousOff } from '../../../src/capture/promisc.js';

/* --no-promisc drops libpcap's PACKET_MR_PROMISC membership of the capture socket (Linux, koffi). */
describe('struct packet_mreq for PACKET_DROP_MEMBERSHIP', () => {
  it('is 16 bytes: int ifindex, unsigned short type, unsigned short alen 0, an empty address', () => {
    const mreq = packetMreq(3, 1);
    expect(mreq).toHaveLength(16);
    const le = endianness() === 'LE';
    expect(le ? mreq.readInt32LE(0) : mreq.readInt32BE(0)).toBe(3);
    expect(le ? mreq.readUInt16LE(4) : mreq.readUInt16BE(4)).toBe(1);
    expect([...mreq.subarray(6)]).toEqual(new Array(10).fill(0));
  });

  it.skipIf(endianness() !== 'LE')('is in host byte order, as the kernel reads it (here little-endian)', () => {
    expect(packetMreq(0x01020304, 1).toString('hex')).toBe('04030201' + '0100' + '0000' + '00'.repeat(8));
  });
});

describe('what --no-promisc needs, said in one line', () => {
  it('on "any" libpcap asks for no promiscuous mode: nothing to undo, nothing needed', () => {
    expect(() => promiscuousOff('any')(null)).not.toThrow();
  });

  it('not Linux', () => {
    expect(openLibc(() => ({}), 'darwin')).toBe('that works on Linux only, and this is darwin');
  });

  it('koffi not installed: npm install koffi', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'koffi'\nRequire stack:\n- x"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(openLibc(missing, 'linux')).toMatch(/^it needs the optional module "koffi", which is not installed: run "npm install koffi" in \S+$/);
  });

  it('koffi installed but broken: npm rebuild koffi', () => {
    const broken = () => {
      throw new Error('koffi.node: invalid ELF header');
    };
    expect(openLibc(broken, 'linux')).toMatch(/^it needs the optional module "koffi", which did not load \(koffi\.node: invalid ELF header\): run "npm rebuild koffi" in \S+$/);
  });

  it('no glibc', () => {
    const noGlibc = () => ({ load: () => { throw new Error('libc.so.6: cannot open shared object file'); }, errno: () => 0 });
    expect(openLibc(noGlibc, 'linux')).toBe(`"koffi" cannot load glibc's libc.so.6 (libc.so.6: cannot open shared object file): it needs a glibc-based Linux`);
  });
});
