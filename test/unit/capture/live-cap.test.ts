import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../../src/capture/index.js';
import { loadCapWith } from '../../../src/capture/live.js';

/* Offline analysis never loads `cap`; monitor says exactly what to install when it cannot. */
describe('loading the optional cap addon', () => {
  it('not installed: install libpcap-dev, then npm install cap', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'cap'\nRequire stack:\n- x"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => loadCapWith(missing)).toThrow(CaptureError);
    expect(() => loadCapWith(missing)).toThrow(/^live capture needs the optional module "cap", which is not installed: install libpcap \(Debian\/Ubuntu: apt-get install libpcap-dev\), then run "npm install cap" in \S+$/);
  });

  it('installed but broken (no libpcap, no build): rebuild it', () => {
    const broken = () => {
      throw new Error('libpcap.so.0.8: cannot open shared object file: No such file or directory');
    };
    expect(() => loadCapWith(broken)).toThrow(/^live capture needs the module "cap", which did not load \(libpcap\.so\.0\.8: cannot open shared object file: No such file or directory\): install libpcap .*"npm rebuild cap" in \S+$/);
  });
});
