/**
 * The field catalogue of the message record: every field a CoAP message has where users see
 * it, declared once with the name it has in each place. Four places spell these fields, each
 * written for its own speed or shape: the NDJSON writer (src/cli/format/ndjson.ts), the rule
 * variable `m` (src/rules/facts.ts), the `messages` table (src/store/schema.ts) and the output
 * contract (docs/output.md, rules/README.md). test/unit/pipeline/message-fields.test.ts checks
 * every one of them against this list, so a field added, renamed or dropped in one place and
 * not in the others fails there, as Wireshark's one field registry keeps its outputs, filters
 * and docs in step.
 */

export type FieldType = 'number' | 'string' | 'boolean' | 'list' | 'map' | 'object';

export interface MessageField {
  /** Path in the NDJSON message record (`coap.mid`); null when the record does not carry it. */
  readonly ndjson: string | null;
  /** Name under `m` in rule expressions (`mid`); null when rules do not see it. */
  readonly rule: string | null;
  /** Column of the `messages` table; null when it is only inside the stored record. */
  readonly column: string | null;
  readonly type: FieldType;
  /** Whether the field may be null. */
  readonly nullable: boolean;
  readonly doc: string;
}

const field = (
  ndjson: string | null, rule: string | null, column: string | null, type: FieldType, nullable: boolean, doc: string,
): MessageField => ({ ndjson, rule, column, type, nullable, doc });

/** In the NDJSON record's order; fields only rules see come after those of the record. */
export const MESSAGE_FIELDS: readonly MessageField[] = [
  field('kind', null, null, 'string', false, 'always "message"'),
  field('frame', 'frame', 'frame', 'number', false, "1-based packet number in the capture (tshark's frame.number)"),
  field('ts', 'ts', 'ts', 'number', false, 'capture time, seconds since the epoch'),
  field('src', 'src', 'src', 'string', false, 'sender, a.b.c.d:port or [v6addr]:port'),
  field('dst', 'dst', 'dst', 'string', false, 'receiver, a.b.c.d:port or [v6addr]:port'),
  field('transport', 'transport', null, 'string', false, 'udp, tcp (RFC 8323) or dtls (decrypted)'),
  field('coap', null, null, 'object', false, 'the CoAP message'),
  field('coap.type', 'type', null, 'string', true, 'CON, NON, ACK, RST; null over TCP'),
  field('coap.code', 'code', null, 'string', false, 'class.detail ("2.05")'),
  field('coap.mid', 'mid', null, 'number', true, 'message ID; null over TCP'),
  field('coap.token', 'token', null, 'string', false, 'lower-case hex, "" when empty'),
  field('coap.options', null, null, 'list', false, 'every option in wire order: number, name, value'),
  field('coap.uriPath', 'uriPath', null, 'string', true, "the request's path; on responses, the matched request's"),
  field('coap.uriQuery', 'query', null, 'list', false, 'Uri-Query options, in order'),
  field('coap.contentFormat', 'contentFormat', null, 'number', true, 'Content-Format'),
  field('coap.accept', 'accept', null, 'number', true, 'Accept'),
  field('coap.observe', 'observe', null, 'number', true, 'Observe'),
  field('coap.block1', null, null, 'object', true, 'Block1 as {num, more, size}'),
  field('coap.block2', null, null, 'object', true, 'Block2 as {num, more, size}'),
  field('coap.size1', null, null, 'number', true, 'Size1'),
  field('coap.size2', null, null, 'number', true, 'Size2'),
  field('coap.locationPath', null, null, 'string', true, 'Location-Path options joined (/rd/0)'),
  field('coap.payloadLength', 'payloadLength', null, 'number', false, 'bytes of payload in this message'),
  field('coap.role', 'role', null, 'string', false, 'request, response, notification, ack, reset, ping, signal'),
  field('coap.retransmission', 'retransmission', null, 'boolean', false, 'a repeat of an earlier message'),
  field('coap.retransmissionOf', null, null, 'number', true, 'frame of the message this repeats'),
  field('coap.responseTo', 'responseTo', null, 'number', true, 'frame of the matched request (or acknowledged message)'),
  field('coap.responseTime', 'responseTime', null, 'number', true, 'seconds from the request to its first response'),
  field('coap.reassembled', null, null, 'object', true, 'on the message completing a block-wise transfer: {blocks, length, firstFrame}'),
  field('lwm2m', null, null, 'object', true, 'the LwM2M reading; null when the CoAP message is malformed'),
  field('lwm2m.operation', 'operation', 'operation', 'string', false, 'LwM2M operation (responses carry their request\'s)'),
  field('lwm2m.endpoint', 'endpoint', 'endpoint', 'string', true, 'endpoint name, or null when it cannot be known'),
  field('lwm2m.path', 'path', null, 'string', true, 'object-model path the operation addresses'),
  field('lwm2m.records', 'records', null, 'list', false, 'decoded values: {path, name, type, value}'),
  field('lwm2m.objects', 'objects', null, 'list', true, 'Register/Update object list'),
  field('lwm2m.links', null, null, 'list', true, 'link-format payloads: every link with its attributes'),
  field('lwm2m.payloadError', 'payloadError', null, 'string', true, 'why the payload could not be decoded'),
  field('error', 'error', null, 'string', true, 'why the CoAP message is malformed'),
  field(null, 'srcHost', null, 'string', false, "the sender's host, without its port"),
  field(null, 'dstHost', null, 'string', false, "the receiver's host, without its port"),
  field(null, 'size', null, 'number', false, 'bytes of the CoAP message on the wire'),
  field(null, 'codeClass', null, 'number', false, 'the code\'s class (2 for "2.05")'),
  field(null, 'isRequest', null, 'boolean', false, 'a request (method code)'),
  field(null, 'isResponse', null, 'boolean', false, 'a response (class 2 to 5)'),
  field(null, 'q', null, 'map', false, 'the query as a map (q.ep, q.lt, q.b, q.lwm2m)'),
  field(null, 'contentFormatName', null, 'string', true, "the Content-Format's registered name"),
  field(null, 'unknownContentFormat', null, 'boolean', false, 'a Content-Format no registry names'),
  field(null, 'requestSize', null, 'number', true, "the matched request's size on the wire"),
  field(null, 'afterCancel', null, 'boolean', false, 'a notification on a cancelled token'),
  field(null, 'peerIsServer', null, 'boolean', true, 'the server-side peer is a socket the endpoint registered with, or a declared server (--servers); null when unknown'),
  field(null, 'unmatched', null, 'boolean', false, 'a response or notification that answers no request seen'),
  field(null, 'dtlsPeer', null, 'boolean', false, 'either host was seen as a DTLS client'),
  field(null, 'takenOver', null, 'object', true, 'on a Register, Update or De-register from a socket whose registration the server gave to another socket: {endpoint, location, by, frame}'),
  field(null, null, 'record', 'string', false, 'the whole NDJSON message record (--store-messages)'),
];
