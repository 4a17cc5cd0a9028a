/** An IPSO/OMA object a meter reports household demand with: one instance per household. */
export interface PowerObject {
  id: number;
  /** Instantaneous active power resource. */
  power: number;
  /** Cumulative active energy resource, in kWh. */
  energy: number;
  /** Watts per unit of the power resource: 1 for W, 1000 for kW. */
  wattsPerUnit: number;
}

/** 3305 Power Measurement: 5800 Instantaneous active power (W), 5805 Cumulative active power (kWh). */
export const POWER_MEASUREMENT: PowerObject = { id: 3305, power: 5800, energy: 5805, wattsPerUnit: 1 };
/** 10243 Single-Phase Power Meter: 6 Active Power (kW), 14 Active Energy (kWh). */
export const SINGLE_PHASE_METER: PowerObject = { id: 10243, power: 6, energy: 14, wattsPerUnit: 1000 };
