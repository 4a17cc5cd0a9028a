meta:
  id: lwm2m_tlv
  title: OMA LwM2M TLV payload (application/vnd.oma.lwm2m+tlv, content formats 11542 and legacy 1542)
  license: MIT
  endian: be
doc: |
  A sequence of TLV entries. What the top-level entries are depends on the request
  path: object instances for /o, resources for /o/i, one resource or its instances for
  /o/i/r. Object instances hold resources and multiple resources; multiple resources
  hold resource instances. TLV carries no data types: a value is raw bytes that only
  the object definition gives meaning to, so this spec stops at the bytes.
  Nesting is at most two levels deep (object instance > multiple resource > resource
  instance); a container found deeper than that is kept as raw bytes (`body`) so a
  hostile payload cannot recurse the parser into a stack overflow.
  A length running past the end of its enclosing entry makes the parser stop with an
  EOF error, which coapwatch reports as a malformed payload.
doc-ref: OMA-TS-LightweightM2M_Core-V1_1 section 7.4.3 (OMA-TS-LightweightM2M-V1_0 section 6.4.3)
seq:
  - id: entries
    type: tlv(0)
    repeat: eos
types:
  tlv:
    params:
      - id: level
        type: u1
        doc: Container depth of this entry, 0 at the top.
    seq:
      - id: id_type
        type: b2
        enum: identifier_type
      - id: id_is_16bit
        type: b1
      - id: length_type
        type: b2
        doc: 0 = length in the low 3 bits; 1, 2, 3 = an 8, 16 or 24-bit length field follows the identifier.
      - id: short_length
        type: b3
      - id: identifier
        type:
          switch-on: id_is_16bit
          cases:
            true: u2
            false: u1
      - id: long_length
        type:
          switch-on: length_type
          cases:
            1: u1
            2: u2
            3: b24
        if: length_type != 0
      - id: children
        size: length
        type: tlv_list(level + 1)
        if: is_container and level < 2
      - id: body
        size: length
        if: not is_container or level >= 2
        doc: The value of a resource or resource instance; a too-deep container's raw content.
    instances:
      length:
        value: 'length_type == 0 ? short_length : long_length'
      is_container:
        value: id_type == identifier_type::object_instance or id_type == identifier_type::multiple_resource
  tlv_list:
    params:
      - id: level
        type: u1
    seq:
      - id: entries
        type: tlv(level)
        repeat: eos
enums:
  identifier_type:
    0: object_instance
    1: resource_instance
    2: multiple_resource
    3: resource_with_value
