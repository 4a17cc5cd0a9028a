import { describe, expect, it } from 'vitest';
import { isExecutable, objectName, resourceInfo } from '../../../src/lwm2m/registry/index.js';

describe('LwM2M object registry', () => {
  it('names core, IPSO and other registered objects; vendor objects have none', () => {
    expect(objectName(0)).toBe('LwM2M Security');
    expect(objectName(3)).toBe('Device');
    expect(objectName(3303)).toBe('Temperature');
    expect(objectName(3305)).toBe('Power Measurement');
    expect(objectName(10243)).toBe('Single-Phase Power Meter');
    expect(objectName(3336)).toBe('Location'); // from the npm registry only (IPSO Location)
    expect(objectName(31024)).toBeNull();
  });

  it('gives the exact types the npm data loses: Boolean, Opaque, Objlnk, Execute, Unsigned', () => {
    expect(resourceInfo(1, 6)).toEqual({ name: 'Notification Storing When Disabled or Offline', type: 'boolean', multiple: false });
    expect(resourceInfo(0, 3)).toEqual({ name: 'Public Key or Identity', type: 'opaque', multiple: false });
    expect(resourceInfo(5, 0)).toEqual({ name: 'Package', type: 'opaque', multiple: false });
    expect(resourceInfo(1, 10)).toEqual({ name: 'APN Link', type: 'objlnk', multiple: false });
    expect(resourceInfo(3, 22)).toEqual({ name: 'ExtDevInfo', type: 'objlnk', multiple: true });
    expect(resourceInfo(3, 4)).toEqual({ name: 'Reboot', type: 'none', multiple: false });
    expect(resourceInfo(0, 16)).toEqual({ name: 'DTLS/TLS Ciphersuite', type: 'unsigned', multiple: true });
    expect(resourceInfo(3303, 5605)).toEqual({ name: 'Reset Min and Max Measured Values', type: 'none', multiple: false });
  });

  it('takes names and types of everything else from the npm registry data', () => {
    expect(resourceInfo(3, 6)).toEqual({ name: 'Available Power Sources', type: 'integer', multiple: true });
    expect(resourceInfo(3303, 5700)).toEqual({ name: 'Sensor Value', type: 'float', multiple: false });
    expect(resourceInfo(3303, 5701)).toEqual({ name: 'Sensor Units', type: 'string', multiple: false });
    expect(resourceInfo(3303, 5518)).toEqual({ name: 'Timestamp', type: 'time', multiple: false });
    expect(resourceInfo(3305, 5800)).toMatchObject({ name: 'Instantaneous active power', type: 'float' });
    expect(resourceInfo(10243, 4)).toEqual({ name: 'Tension', type: 'float', multiple: false });
    expect(resourceInfo(1, 25)).toEqual({ name: 'Supported Server Versions', type: 'string', multiple: true });
  });

  it('knows nothing of unknown objects and resources', () => {
    expect(resourceInfo(31024, 1)).toBeUndefined();
    expect(resourceInfo(3, 9999)).toBeUndefined();
    expect(resourceInfo(0, 99)).toBeUndefined();
  });

  it('tells Execute resources apart', () => {
    expect(isExecutable(3, 4)).toBe(true);
    expect(isExecutable(1, 8)).toBe(true);
    expect(isExecutable(3331, 5822)).toBe(true);
    expect(isExecutable(3, 9)).toBe(false);
    expect(isExecutable(31024, 2)).toBe(false);
  });
});
