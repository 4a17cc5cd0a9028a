meta:
  id: dtls
  title: DTLS 1.2 records and handshake messages (RFC 6347, RFC 9146 connection IDs, DTLS 1.3 unified header)
  license: MIT
  endian: be
doc: |
  The parts of DTLS a passive observer can read: the record layer, and the handshake
  messages sent in clear (epoch 0) — hellos, HelloVerifyRequest, certificates, the PSK
  identity hint (ServerKeyExchange) and identity (ClientKeyExchange), alerts.
  coapwatch parses one record at a time (type `record`, with the connection-ID length the
  session negotiated as a parameter) and each handshake body with the type its header
  names (`client_hello`, `server_hello`, ...), from TypeScript, so that a fault in one
  record, message or extension leaves the others readable. Key exchange bodies depend on
  the negotiated suite: the PSK identity (hint) is the first field for every PSK suite
  (RFC 4279, RFC 5489), which `psk_identity` reads. A length running past the end of
  its enclosing structure makes the parser stop with an EOF error, which coapwatch
  reports as a malformed record or message.
doc-ref: https://www.rfc-editor.org/rfc/rfc6347#section-4.1
seq:
  - id: records
    type: record(0)
    repeat: eos
types:
  record:
    doc: |
      One record. Content types 20-25 use the DTLS 1.0/1.2 header (25 = tls12_cid,
      RFC 9146, with a connection ID whose length the handshake negotiated, hence the
      parameter); a first byte 0x20-0x3f is a DTLS 1.3 unified header (RFC 9147 4).
    params:
      - id: cid_length
        type: u1
    seq:
      - id: first_byte
        type: u1
      - id: plain
        type: plain_header
        if: first_byte < 0x20 or first_byte >= 0x40
      - id: unified
        type: unified_header
        if: first_byte >= 0x20 and first_byte < 0x40
      - id: fragment
        size: 'first_byte >= 0x20 and first_byte < 0x40 ? (unified.has_length ? unified.length : _io.size - _io.pos) : plain.length'
  plain_header:
    seq:
      - id: version
        type: u2
      - id: epoch
        type: u2
      - id: sequence_hi
        type: u2
      - id: sequence_lo
        type: u4
      - id: connection_id
        size: _parent.cid_length
        if: _parent.first_byte == 25
      - id: length
        type: u2
    instances:
      sequence_number:
        value: sequence_hi * 4294967296 + sequence_lo
        doc: 48 bits, read as two fields (the JavaScript runtime reads bit fields of at most 32 bits).
  unified_header:
    doc: 001CSLEE; the sequence number is encrypted (RFC 9147 4.2.3), so it is kept as read.
    seq:
      - id: connection_id
        size: _parent.cid_length
        if: has_cid
      - id: sequence_number
        type:
          switch-on: long_sequence
          cases:
            true: u2
            false: u1
      - id: length
        type: u2
        if: has_length
    instances:
      has_cid:
        value: (_parent.first_byte & 0x10) != 0
      long_sequence:
        value: (_parent.first_byte & 0x08) != 0
      has_length:
        value: (_parent.first_byte & 0x04) != 0
      epoch_bits:
        value: _parent.first_byte & 0x03
  handshake:
    doc: One handshake message (or fragment of one) from a record of content type 22.
    seq:
      - id: msg_type
        type: u1
      - id: length
        type: b24
      - id: message_seq
        type: u2
      - id: fragment_offset
        type: b24
      - id: fragment_length
        type: b24
      - id: body
        size: fragment_length
  client_hello:
    seq:
      - id: client_version
        type: u2
      - id: random
        size: 32
      - id: session_id_length
        type: u1
      - id: session_id
        size: session_id_length
      - id: cookie_length
        type: u1
      - id: cookie
        size: cookie_length
      - id: cipher_suites_length
        type: u2
      - id: cipher_suites
        type: u2
        repeat: expr
        repeat-expr: cipher_suites_length / 2
      - id: compression_methods_length
        type: u1
      - id: compression_methods
        size: compression_methods_length
      - id: extensions
        type: extensions
        if: not _io.eof
  server_hello:
    seq:
      - id: server_version
        type: u2
      - id: random
        size: 32
      - id: session_id_length
        type: u1
      - id: session_id
        size: session_id_length
      - id: cipher_suite
        type: u2
      - id: compression_method
        type: u1
      - id: extensions
        type: extensions
        if: not _io.eof
  hello_verify_request:
    seq:
      - id: server_version
        type: u2
      - id: cookie_length
        type: u1
      - id: cookie
        size: cookie_length
  extensions:
    seq:
      - id: length
        type: u2
      - id: list
        size: length
        type: extension_list
  extension_list:
    seq:
      - id: items
        type: extension
        repeat: eos
  extension:
    doc: The body is kept as bytes and parsed by type (server_name_list, ...) one extension at a time.
    seq:
      - id: ext_type
        type: u2
      - id: length
        type: u2
      - id: body
        size: length
  server_name_list:
    seq:
      - id: length
        type: u2
      - id: names
        size: length
        type: server_names
  server_names:
    seq:
      - id: items
        type: server_name
        repeat: eos
  server_name:
    seq:
      - id: name_type
        type: u1
        doc: 0 = host_name
      - id: length
        type: u2
      - id: name
        size: length
  max_fragment_length:
    seq:
      - id: code
        type: u1
        doc: 1 = 2^9, 2 = 2^10, 3 = 2^11, 4 = 2^12 (RFC 6066 4)
  connection_id:
    doc: RFC 9146 extension 54 — the CID the sender wants to receive in records sent to it.
    seq:
      - id: length
        type: u1
      - id: cid
        size: length
  supported_versions_client:
    seq:
      - id: length
        type: u1
      - id: versions
        type: u2
        repeat: expr
        repeat-expr: length / 2
  supported_versions_server:
    seq:
      - id: version
        type: u2
  psk_identity:
    doc: |
      The first field of a PSK suite's ServerKeyExchange (psk_identity_hint) and
      ClientKeyExchange (psk_identity), RFC 4279 2 and RFC 5489 2; key-exchange
      parameters that follow in ECDHE/DHE/RSA_PSK suites are not read.
    seq:
      - id: length
        type: u2
      - id: identity
        size: length
  certificate_list:
    seq:
      - id: length
        type: b24
      - id: list
        size: length
        type: certificates
  certificates:
    seq:
      - id: items
        type: certificate
        repeat: eos
  certificate:
    seq:
      - id: length
        type: b24
      - id: der
        size: length
  alert:
    seq:
      - id: level
        type: u1
      - id: description
        type: u1
