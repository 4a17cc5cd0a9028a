/**
 * Bounds of the rule engine's tables that grow with traffic. Each full table drops its least
 * recently used entry and counts it (see RuleEngine's OverflowCounters).
 */
export interface RuleTableBounds {
  /**
   * Keys per stateful rule: its threshold windows, absence deadlines or sequence progress. A rule
   * keyed by endpoint or observation holds one per meter: 2^20 covers a utility's 10^6 meters.
   */
  keysPerRule: number;
  /** Suppression windows open, one per rule and tracked key (e.g. source and destination) that fired recently. */
  suppressed: number;
  /**
   * Requests whose events await the answer, for at most an exchange lifetime (247 s): a flood of
   * matching requests from every meter of a 10^6 fleet at once fits.
   */
  awaitedAnswers: number;
  /** Hosts seen as DTLS clients (dtlsSeen(), m.dtlsPeer): one per meter speaking DTLS. */
  dtlsHosts: number;
  /** Endpoints whose servers are remembered (m.peerIsServer): one per meter. */
  endpointServers: number;
  /** Server sockets remembered per endpoint: a server and a bootstrap server, each maybe over UDP and DTLS. */
  serversPerEndpoint: number;
  /**
   * Client sockets that lost their registration to another socket (m.takenOver): one per reboot
   * to a new port or NAT rebinding. A hijacked client comes back within its registration's
   * lifetime (its next Update), so the table needs the takeovers of one lifetime, not a fleet.
   */
  supersededSockets: number;
}

export const RULE_TABLE_BOUNDS: Readonly<RuleTableBounds> = {
  keysPerRule: 1 << 20,
  suppressed: 1 << 20,
  awaitedAnswers: 1 << 20,
  dtlsHosts: 1 << 20,
  endpointServers: 1 << 20,
  serversPerEndpoint: 8,
  supersededSockets: 1 << 18,
};

/** The names the engine's tables report their overflow under (OverflowCounters). */
export const RULE_TABLES = {
  windows: 'rules.threshold-windows',
  armed: 'rules.absence-deadlines',
  progress: 'rules.sequence-progress',
  suppressed: 'rules.suppressed-events',
  awaitedAnswers: 'rules.awaited-answers',
  dtlsHosts: 'rules.dtls-hosts',
  endpointServers: 'rules.endpoint-servers',
  serversPerEndpoint: 'rules.servers-per-endpoint',
  supersededSockets: 'rules.superseded-sockets',
} as const;
