import type { CreateLivenessSessionContent, CreateLivenessWithVerifySessionContent } from "@azure-rest/ai-vision-face";

import type { CreateSessionParams, CreateVerifySessionParams } from "./face-gateway.js";

/**
 * Request bodies of the two create operations, in Face v1.2's wire shape.
 *
 * @see https://learn.microsoft.com/rest/api/face/liveness-session-operations/create-liveness-session?view=rest-face-v1.2
 */

/**
 * Face wants exactly one of the two: a `deviceCorrelationId`, or `deviceCorrelationIdSetInClient: true` (the device
 * SDK then supplies it). Sending `deviceCorrelationIdSetInClient: true` together with an id is an error upstream.
 */
function correlation(params: CreateSessionParams) {
  return params.deviceCorrelationId === undefined
    ? { deviceCorrelationIdSetInClient: true }
    : { deviceCorrelationId: params.deviceCorrelationId };
}

export function livenessSessionBody(params: CreateSessionParams): CreateLivenessSessionContent {
  return {
    livenessOperationMode: params.livenessOperationMode,
    ...correlation(params),
    enableSessionImage: params.enableSessionImage,
    authTokenTimeToLiveInSeconds: params.authTokenTimeToLiveInSeconds,
  };
}

/**
 * v1.2 takes this create as multipart/form-data only, one flat part per field. The SDK's
 * `VerifyImageFilenamePolicy` adds a filename only to the v1.1 part name `VerifyImage`, and Face requires
 * "Content-Disposition … must have filename" on `verifyImage`, so the filename and content type are set here.
 * Optional parts are left out rather than sent empty, so Face applies its own defaults.
 */
export function livenessWithVerifySessionParts(params: CreateVerifySessionParams): CreateLivenessWithVerifySessionContent {
  const parts: Exclude<CreateLivenessWithVerifySessionContent, FormData> = [
    { name: "livenessOperationMode", body: params.livenessOperationMode },
  ];
  if (params.deviceCorrelationId === undefined) {
    parts.push({ name: "deviceCorrelationIdSetInClient", body: true });
  } else {
    parts.push({ name: "deviceCorrelationId", body: params.deviceCorrelationId });
  }
  parts.push(
    { name: "enableSessionImage", body: params.enableSessionImage },
    { name: "authTokenTimeToLiveInSeconds", body: params.authTokenTimeToLiveInSeconds },
  );
  if (params.returnVerifyImageHash !== undefined) {
    parts.push({ name: "returnVerifyImageHash", body: params.returnVerifyImageHash });
  }
  if (params.verifyConfidenceThreshold !== undefined) {
    parts.push({ name: "verifyConfidenceThreshold", body: params.verifyConfidenceThreshold });
  }
  parts.push({
    name: "verifyImage",
    body: params.verifyImage.bytes,
    filename: params.verifyImage.filename,
    contentType: params.verifyImage.contentType,
  });
  return parts;
}
