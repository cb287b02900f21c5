/**
 * The emulator's operation names: Face's operationIds (without the `LivenessSessionOperations_` prefix) plus the two
 * device calls. In a file of their own so the state and the fault plan can both use them without an import cycle.
 */
export const managementOperations = [
  "createLivenessSession",
  "createLivenessWithVerifySession",
  "getLivenessSession",
  "getLivenessWithVerifySession",
  "deleteLivenessSession",
  "deleteLivenessWithVerifySession",
  "getSessionImage",
] as const;

export const deviceOperations = ["deviceDetectLiveness", "deviceDetectLivenessWithVerify"] as const;

export const emulatorOperations = [...managementOperations, ...deviceOperations] as const;
export type EmulatorOperation = (typeof emulatorOperations)[number];
