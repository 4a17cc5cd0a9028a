import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../../src/capture/index.js';
import { openLibpcap, readNative } from '../../../src/capture/libpcap.js';

/* Offline analysis never loads koffi or libpcap; monitor says exactly what to install when it cannot. */
describe('loading libpcap through the optional koffi module', () => {
  it('koffi not installed: npm install koffi', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'koffi'\nRequire stack:\n- x"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => openLibpcap(missing)).toThrow(CaptureError);
    expect(() => openLibpcap(missing)).toThrow(/^live capture needs the optional module "koffi", which is not installed: run "npm install koffi" in \S+$/);
  });

  it('koffi installed but broken: npm rebuild koffi', () => {
    const broken = () => {
      throw new Error('koffi.node: invalid ELF header');
    };
    expect(() => openLibpcap(broken)).toThrow(/^live capture needs the module "koffi", which did not load \(koffi\.node: invalid ELF header\): run "npm rebuild koffi" in \S+$/);
  });

  it('no libpcap: says which package to install, with the loader\'s first complaint', () => {
    const tried: string[] = [];
    const koffi = {
      load: (name: string) => {
        tried.push(name);
        throw new Error(`${name}: cannot open shared object file: No such file or directory`);
      },
      sizeof: () => 8,
    };
    expect(() => openLibpcap(() => koffi, 'linux')).toThrow(
      'live capture needs libpcap, which cannot be loaded (libpcap.so.1: cannot open shared object file: No such file or directory): install it (Debian/Ubuntu: apt-get install libpcap0.8)',
    );
    expect(tried).toEqual(['libpcap.so.1', 'libpcap.so.0.8', 'libpcap.so']);
  });
});

describe('readNative: pointers and C longs read from libpcap\'s structures', () => {
  it('reads 8-byte values past 32 bits (user-space addresses) and 4-byte ones, in host byte order', () => {
    const b = Buffer.alloc(12);
    const le = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
    if (le) {
      b.writeBigUInt64LE(0x7f61_c810_0010n, 0);
      b.writeUInt32LE(0xfffffffe, 8);
    } else {
      b.writeBigUInt64BE(0x7f61_c810_0010n, 0);
      b.writeUInt32BE(0xfffffffe, 8);
    }
    expect(readNative(b, 0, 8)).toBe(0x7f61_c810_0010);
    expect(readNative(b, 8, 4)).toBe(0xfffffffe);
  });
});
