meta:
  id: coap
  title: CoAP message over UDP (RFC 7252 section 3)
  license: MIT
  endian: be
doc: |
  The Constrained Application Protocol message format. This spec is the reference
  for coapwatch's CoAP dissector: the hand-written hot-path decoder in src/coap/decode.ts
  is tested byte for byte against the parser compiled from this file.
  A message whose bytes break the format (reserved token length, a reserved option
  nibble, an option running past the end) makes the generated parser stop with an
  error, which the caller reports as a malformed message.
doc-ref: https://www.rfc-editor.org/rfc/rfc7252#section-3
seq:
  - id: version
    type: b2
    doc: Must be 1.
  - id: msg_type
    type: b2
    enum: message_type
  - id: token_length
    type: b4
    valid:
      max: 8
    doc: 9-15 are reserved and make the message a format error.
  - id: code
    type: u1
    doc: Class in the upper 3 bits, detail in the lower 5 (written c.dd).
  - id: message_id
    type: u2
  - id: token
    size: token_length
  - id: options
    type: option
    repeat: until
    repeat-until: _.is_last
    if: not _io.eof
  - id: payload
    size-eos: true
    doc: Present only after a 0xFF marker; a marker followed by nothing is a format error.
types:
  option:
    seq:
      - id: delta_nibble
        type: b4
      - id: length_nibble
        type: b4
      - id: delta_ext
        type:
          switch-on: delta_nibble
          cases:
            13: u1
            14: u2
        if: delta_nibble == 13 or delta_nibble == 14
      - id: length_ext
        type:
          switch-on: length_nibble
          cases:
            13: u1
            14: u2
        if: not is_marker and (length_nibble == 13 or length_nibble == 14)
      - id: reserved_check
        size: 0
        valid:
          expr: is_marker or (delta_nibble != 15 and length_nibble != 15)
        doc: A nibble of 15 outside the 0xFF payload marker is a message format error.
      - id: value
        size: length
        if: not is_marker
      - id: marker_check
        size: 0
        valid:
          expr: not is_marker or not _io.eof
        doc: The payload marker must be followed by at least one byte.
    instances:
      is_marker:
        value: delta_nibble == 15 and length_nibble == 15
      is_last:
        value: is_marker or _io.eof
      delta:
        value: 'delta_nibble == 13 ? delta_ext + 13 : delta_nibble == 14 ? delta_ext + 269 : delta_nibble'
      length:
        value: 'length_nibble == 13 ? length_ext + 13 : length_nibble == 14 ? length_ext + 269 : length_nibble'
enums:
  message_type:
    0: confirmable
    1: non_confirmable
    2: acknowledgement
    3: reset
