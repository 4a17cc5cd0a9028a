import type { ResourceType } from '../payload/types.js';
import type { ObjectInfo, ResourceInfo } from './types.js';

/*
 * Exact LwM2M data types for the objects coapwatch meets most: the core objects 0-7
 * (LwM2M 1.1 object versions) and the Execute resources of the IPSO metering objects.
 *
 * Why a hand-written table: the npm registry data (@nordicsemiconductor/lwm2m-types, see
 * oma-registry.ts) is a JSON Schema for resource *values*, so it loses exactly what a
 * payload decoder needs here. It drops object 0 (Security) and every Execute resource,
 * turns Boolean into integer 0..1, and turns Opaque, Objlnk and Corelnk into string.
 * TLV carries no types, so decoding a Security instance, a Boolean, an Objlnk or an
 * Opaque firmware package depends on this table. Everything it does not list (the
 * other IPSO resources, 10243 and ~300 more objects) is typed well enough from npm.
 * Source: OMA LwM2M registry object definitions (DDF) and LwM2M 1.1 core appendix E.
 */

/** [resource id, name, type, 'multiple' when it has resource instances] */
type Row = readonly [number, string, ResourceType, 'multiple'?];

const IPSO_RESET_MIN_MAX: Row = [5605, 'Reset Min and Max Measured Values', 'none'];
const IPSO_RESET_CUMULATIVE: Row = [5822, 'Reset Cumulative energy', 'none'];

const TABLE: ReadonlyArray<readonly [number, string, readonly Row[]]> = [
  [0, 'LwM2M Security', [
    [0, 'LwM2M Server URI', 'string'],
    [1, 'Bootstrap-Server', 'boolean'],
    [2, 'Security Mode', 'integer'],
    [3, 'Public Key or Identity', 'opaque'],
    [4, 'Server Public Key', 'opaque'],
    [5, 'Secret Key', 'opaque'],
    [6, 'SMS Security Mode', 'integer'],
    [7, 'SMS Binding Key Parameters', 'opaque'],
    [8, 'SMS Binding Secret Key(s)', 'opaque'],
    [9, 'LwM2M Server SMS Number', 'string'],
    [10, 'Short Server ID', 'integer'],
    [11, 'Client Hold Off Time', 'integer'],
    [12, 'Bootstrap-Server Account Timeout', 'integer'],
    [13, 'Matching Type', 'unsigned'],
    [14, 'SNI', 'string'],
    [15, 'Certificate Usage', 'unsigned'],
    [16, 'DTLS/TLS Ciphersuite', 'unsigned', 'multiple'],
    [17, 'OSCORE Security Mode', 'objlnk'],
  ]],
  [1, 'LwM2M Server', [
    [0, 'Short Server ID', 'integer'],
    [1, 'Lifetime', 'integer'],
    [2, 'Default Minimum Period', 'integer'],
    [3, 'Default Maximum Period', 'integer'],
    [4, 'Disable', 'none'],
    [5, 'Disable Timeout', 'integer'],
    [6, 'Notification Storing When Disabled or Offline', 'boolean'],
    [7, 'Binding', 'string'],
    [8, 'Registration Update Trigger', 'none'],
    [9, 'Bootstrap-Request Trigger', 'none'],
    [10, 'APN Link', 'objlnk'],
    [11, 'TLS-DTLS Alert Code', 'unsigned'],
    [12, 'Last Bootstrapped', 'time'],
    [13, 'Registration Priority Order', 'unsigned'],
    [14, 'Initial Registration Delay Timer', 'unsigned'],
    [15, 'Registration Failure Block', 'boolean'],
    [16, 'Bootstrap on Registration Failure', 'boolean'],
    [17, 'Communication Retry Count', 'unsigned'],
    [18, 'Communication Retry Timer', 'unsigned'],
    [19, 'Communication Sequence Delay Timer', 'unsigned'],
    [20, 'Communication Sequence Retry Count', 'unsigned'],
    [21, 'Trigger', 'boolean'],
    [22, 'Preferred Transport', 'string'],
    [23, 'Mute Send', 'boolean'],
    [24, 'Alternate APN Links', 'objlnk', 'multiple'],
  ]],
  [2, 'LwM2M Access Control', [
    [0, 'Object ID', 'integer'],
    [1, 'Object Instance ID', 'integer'],
    [2, 'ACL', 'integer', 'multiple'],
    [3, 'Access Control Owner', 'integer'],
  ]],
  [3, 'Device', [
    [0, 'Manufacturer', 'string'],
    [1, 'Model Number', 'string'],
    [2, 'Serial Number', 'string'],
    [3, 'Firmware Version', 'string'],
    [4, 'Reboot', 'none'],
    [5, 'Factory Reset', 'none'],
    [6, 'Available Power Sources', 'integer', 'multiple'],
    [7, 'Power Source Voltage', 'integer', 'multiple'],
    [8, 'Power Source Current', 'integer', 'multiple'],
    [9, 'Battery Level', 'integer'],
    [10, 'Memory Free', 'integer'],
    [11, 'Error Code', 'integer', 'multiple'],
    [12, 'Reset Error Code', 'none'],
    [13, 'Current Time', 'time'],
    [14, 'UTC Offset', 'string'],
    [15, 'Timezone', 'string'],
    [16, 'Supported Binding and Modes', 'string'],
    [17, 'Device Type', 'string'],
    [18, 'Hardware Version', 'string'],
    [19, 'Software Version', 'string'],
    [20, 'Battery Status', 'integer'],
    [21, 'Memory Total', 'integer'],
    [22, 'ExtDevInfo', 'objlnk', 'multiple'],
  ]],
  [4, 'Connectivity Monitoring', [
    [0, 'Network Bearer', 'integer'],
    [1, 'Available Network Bearer', 'integer', 'multiple'],
    [2, 'Radio Signal Strength', 'integer'],
    [3, 'Link Quality', 'integer'],
    [4, 'IP Addresses', 'string', 'multiple'],
    [5, 'Router IP Addresses', 'string', 'multiple'],
    [6, 'Link Utilization', 'integer'],
    [7, 'APN', 'string', 'multiple'],
    [8, 'Cell ID', 'integer'],
    [9, 'SMNC', 'integer'],
    [10, 'SMCC', 'integer'],
    [11, 'SignalSNR', 'integer'],
    [12, 'LAC', 'integer'],
    [13, 'Coverage Enhancement Level', 'integer'],
  ]],
  [5, 'Firmware Update', [
    [0, 'Package', 'opaque'],
    [1, 'Package URI', 'string'],
    [2, 'Update', 'none'],
    [3, 'State', 'integer'],
    [4, 'Update Supported Objects', 'boolean'], // LwM2M 1.0 only; removed in object version 1.1
    [5, 'Update Result', 'integer'],
    [6, 'PkgName', 'string'],
    [7, 'PkgVersion', 'string'],
    [8, 'Firmware Update Protocol Support', 'integer', 'multiple'],
    [9, 'Firmware Update Delivery Method', 'integer'],
    [10, 'Cancel', 'none'],
    [11, 'Severity', 'integer'],
    [12, 'Last State Change Time', 'time'],
    [13, 'Maximum Defer Period', 'unsigned'],
    [14, 'Automatic Upgrade at Download', 'boolean'],
  ]],
  [6, 'Location', [
    [0, 'Latitude', 'float'],
    [1, 'Longitude', 'float'],
    [2, 'Altitude', 'float'],
    [3, 'Radius', 'float'],
    [4, 'Velocity', 'opaque'],
    [5, 'Timestamp', 'time'],
    [6, 'Speed', 'float'],
  ]],
  [7, 'Connectivity Statistics', [
    [0, 'SMS Tx Counter', 'integer'],
    [1, 'SMS Rx Counter', 'integer'],
    [2, 'Tx Data', 'integer'],
    [3, 'Rx Data', 'integer'],
    [4, 'Max Message Size', 'integer'],
    [5, 'Average Message Size', 'integer'],
    [6, 'Start', 'none'],
    [7, 'Stop', 'none'],
    [8, 'Collection Period', 'integer'],
  ]],
  // IPSO metering objects: npm has every other resource with the right type.
  [3300, 'Generic Sensor', [IPSO_RESET_MIN_MAX]],
  [3303, 'Temperature', [IPSO_RESET_MIN_MAX]],
  [3305, 'Power Measurement', [IPSO_RESET_MIN_MAX, IPSO_RESET_CUMULATIVE]],
  [3316, 'Voltage', [IPSO_RESET_MIN_MAX]],
  [3317, 'Current', [IPSO_RESET_MIN_MAX]],
  [3328, 'Power', [IPSO_RESET_MIN_MAX]],
  [3331, 'Energy', [IPSO_RESET_CUMULATIVE]],
];

export const CORE_OBJECTS: ReadonlyMap<number, ObjectInfo> = new Map(
  TABLE.map(([oid, name, rows]) => [
    oid,
    {
      name,
      resources: new Map<number, ResourceInfo>(
        rows.map(([rid, resName, type, multiple]) => [rid, { name: resName, type, multiple: multiple === 'multiple' }]),
      ),
    },
  ]),
);
