import { describe, expect, it } from 'vitest';
import { addressBytes, communityId } from '../../../src/eve/community-id.js';

/*
 * The published test vectors of the Community ID specification, github.com/corelight/community-id-spec,
 * baseline/baseline_deflt.json (seed 0) and baseline/baseline_seed1.json (seed 1): every entry with
 * ports (TCP 6, UDP 17, SCTP 132), both directions. The ICMP entries map type and code onto ports, a
 * rule coapwatch never needs (it sees only UDP and TCP).
 */
const VECTORS: Array<[proto: number, saddr: string, daddr: string, sport: number, dport: number, seed0: string, seed1: string]> = [
  [6, '2001:470:e5bf:dead:4957:2174:e82c:4887', '2607:f8b0:400c:c03::1a', 63943, 25, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=', '1:eJYTW6AOzFLlSUoESovMjnu7rMw='],
  [6, '2607:f8b0:400c:c03::1a', '2001:470:e5bf:dead:4957:2174:e82c:4887', 25, 63943, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=', '1:eJYTW6AOzFLlSUoESovMjnu7rMw='],
  [132, '192.168.170.8', '192.168.170.56', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=', '1:5w3ZRjeKBzqT3zsaEECDGjUbYeg='],
  [132, '192.168.170.56', '192.168.170.8', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=', '1:5w3ZRjeKBzqT3zsaEECDGjUbYeg='],
  [6, '128.232.110.120', '66.35.250.204', 34855, 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
  [6, '66.35.250.204', '128.232.110.120', 80, 34855, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
  [17, '192.168.1.52', '8.8.8.8', 54585, 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
  [17, '8.8.8.8', '192.168.1.52', 53, 54585, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
];

describe('Community ID v1', () => {
  it.each(VECTORS)('proto %i %s → %s ports %i → %i: the spec\'s value, seed 0 and seed 1', (proto, saddr, daddr, sport, dport, seed0, seed1) => {
    expect(communityId(proto, saddr, sport, daddr, dport)).toBe(seed0);
    expect(communityId(proto, saddr, sport, daddr, dport, 1)).toBe(seed1);
  });

  it('reads IPv6 addresses in every RFC 5952 form, and refuses what is not an address', () => {
    expect(addressBytes('2607:f8b0:400c:c03::1a')!.toString('hex')).toBe('2607f8b0400c0c03000000000000001a');
    expect(addressBytes('::1')!.toString('hex')).toBe('00000000000000000000000000000001');
    expect(addressBytes('fe80::')!.toString('hex')).toBe('fe800000000000000000000000000000');
    expect(addressBytes('::ffff:192.0.2.1')!.toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(addressBytes('10.0.0.1')!.toString('hex')).toBe('0a000001');
    expect(addressBytes('meter-1')).toBeNull();
    expect(communityId(17, '10.0.0.1', 1, '::1', 2)).toBeNull();
  });
});
