#!/bin/sh
# Regenerates every capture in captures/generated/ with the generator (run from the repository
# root after `npm run build`). test/e2e/generate-captures.test.ts runs each `coapwatch generate`
# line below again and checks the files come out byte-identical.
set -e
coapwatch() { node bin/coapwatch.js "$@" > /dev/null; }

coapwatch generate --pcap captures/generated/fleet-hour.pcap --meters 10 --households 5 --duration 3600 --seed 1
coapwatch generate --pcap captures/generated/bootstrap.pcap --meters 3 --households 2 --duration 600 --seed 2 --bootstrap
coapwatch generate --pcap captures/generated/queue-mode.pcap --meters 6 --households 3 --duration 3600 --seed 3 --queue-mode
coapwatch generate --pcap captures/generated/attack-rogue-security-write.pcap --meters 4 --households 2 --duration 900 --seed 10 --attack rogue-security-write
coapwatch generate --pcap captures/generated/attack-unknown-peer-server-write.pcap --meters 4 --households 2 --duration 900 --seed 11 --attack unknown-peer-server-write
coapwatch generate --pcap captures/generated/attack-execute-reboot.pcap --meters 4 --households 2 --duration 900 --seed 12 --attack execute-reboot
coapwatch generate --pcap captures/generated/attack-execute-factory-reset.pcap --meters 4 --households 2 --duration 900 --seed 13 --attack execute-factory-reset
coapwatch generate --pcap captures/generated/attack-firmware-uri.pcap --meters 4 --households 2 --duration 900 --seed 14 --attack firmware-uri
coapwatch generate --pcap captures/generated/attack-registration-flood.pcap --meters 4 --households 2 --duration 900 --seed 15 --attack registration-flood
coapwatch generate --pcap captures/generated/attack-endpoint-impersonation.pcap --meters 4 --households 2 --duration 900 --seed 16 --attack endpoint-impersonation
coapwatch generate --pcap captures/generated/attack-absurd-lifetime.pcap --meters 4 --households 2 --duration 900 --seed 17 --attack absurd-lifetime
coapwatch generate --pcap captures/generated/attack-observe-flood.pcap --meters 4 --households 2 --duration 900 --seed 18 --attack observe-flood
coapwatch generate --pcap captures/generated/attack-notify-after-cancel.pcap --meters 4 --households 2 --duration 900 --seed 19 --attack notify-after-cancel
coapwatch generate --pcap captures/generated/attack-malformed-tlv.pcap --meters 4 --households 2 --duration 900 --seed 20 --attack malformed-tlv
coapwatch generate --pcap captures/generated/attack-malformed-senml.pcap --meters 4 --households 2 --duration 900 --seed 21 --attack malformed-senml
coapwatch generate --pcap captures/generated/attack-out-of-range.pcap --meters 4 --households 2 --duration 900 --seed 22 --attack out-of-range
coapwatch generate --pcap captures/generated/attack-energy-backwards.pcap --meters 4 --households 2 --duration 900 --seed 23 --attack energy-backwards
coapwatch generate --pcap captures/generated/attack-silent-meter.pcap --meters 4 --households 2 --seed 24 --attack silent-meter --duration 1800
coapwatch generate --pcap captures/generated/attack-plaintext-downgrade.pcap --meters 4 --households 2 --duration 900 --seed 25 --attack plaintext-downgrade
coapwatch generate --pcap captures/generated/attack-acl-write.pcap --meters 4 --households 2 --duration 900 --seed 26 --attack acl-write
coapwatch generate --pcap captures/generated/attack-firmware-update.pcap --meters 4 --households 2 --duration 900 --seed 27 --attack firmware-update
coapwatch generate --pcap captures/generated/attack-address-change.pcap --meters 4 --households 2 --duration 900 --seed 28 --attack address-change
coapwatch generate --pcap captures/generated/attack-tiny-lifetime.pcap --meters 4 --households 2 --duration 900 --seed 29 --attack tiny-lifetime
coapwatch generate --pcap captures/generated/attack-unknown-version.pcap --meters 4 --households 2 --duration 900 --seed 30 --attack unknown-version
coapwatch generate --pcap captures/generated/attack-binding-change.pcap --meters 4 --households 2 --duration 900 --seed 31 --attack binding-change
coapwatch generate --pcap captures/generated/attack-skip-bootstrap.pcap --meters 4 --households 2 --duration 900 --seed 32 --attack skip-bootstrap --bootstrap
coapwatch generate --pcap captures/generated/attack-deregistration-storm.pcap --meters 12 --households 2 --duration 900 --seed 33 --attack deregistration-storm
coapwatch generate --pcap captures/generated/attack-unknown-token-notify.pcap --meters 4 --households 2 --duration 900 --seed 34 --attack unknown-token-notify
coapwatch generate --pcap captures/generated/attack-amplification.pcap --meters 4 --households 2 --duration 900 --seed 35 --attack amplification
coapwatch generate --pcap captures/generated/attack-malformed-coap.pcap --meters 4 --households 2 --duration 900 --seed 36 --attack malformed-coap
coapwatch generate --pcap captures/generated/attack-unknown-content-format.pcap --meters 4 --households 2 --duration 900 --seed 37 --attack unknown-content-format
coapwatch generate --pcap captures/generated/attack-orphan-response.pcap --meters 4 --households 2 --duration 900 --seed 38 --attack orphan-response
coapwatch generate --pcap captures/generated/attack-retransmission-storm.pcap --meters 4 --households 2 --duration 900 --seed 39 --attack retransmission-storm
coapwatch generate --pcap captures/generated/attack-rogue-read.pcap --meters 4 --households 2 --duration 900 --seed 40 --attack rogue-read
coapwatch generate --pcap captures/generated/attack-dtls-weak-cipher.pcap --meters 4 --households 2 --duration 900 --seed 41 --attack dtls-weak-cipher
coapwatch generate --pcap captures/generated/attack-dtls-handshake-failure.pcap --meters 4 --households 2 --duration 900 --seed 42 --attack dtls-handshake-failure
coapwatch generate --pcap captures/generated/attack-queue-silent.pcap --meters 4 --households 2 --seed 43 --queue-mode --attack silent-meter --duration 1800
coapwatch generate --pcap captures/generated/attack-mute-notifications.pcap --meters 4 --households 2 --seed 44 --attack mute-notifications --duration 1800
coapwatch generate --pcap captures/generated/attack-foreign-deregistration.pcap --meters 4 --households 2 --duration 900 --seed 45 --attack foreign-deregistration
coapwatch generate --pcap captures/generated/attack-foreign-update.pcap --meters 4 --households 2 --duration 900 --seed 46 --attack foreign-update
coapwatch generate --pcap captures/generated/attack-same-host-stranger.pcap --meters 4 --households 2 --duration 900 --seed 47 --attack same-host-stranger
