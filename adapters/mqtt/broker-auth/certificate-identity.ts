import type { PeerCertificate } from 'node:tls';
import { topicLevelProblem } from '../../../core/internal.js';

/**
 * The device id a verified client certificate names: its subject CN, else its first DNS or URI
 * subject alternative name. Undefined when it names none usable as one topic level.
 */
export function deviceIdFromCertificate(certificate: PeerCertificate | undefined): string | undefined {
  if (!certificate || Object.keys(certificate).length === 0) return undefined;
  const cn = certificate.subject?.CN;
  const commonName = Array.isArray(cn) ? cn[0] : cn;
  const alternative = certificate.subjectaltname
    ?.split(/,\s*/)
    .map((name) => /^(?:DNS|URI):(.+)$/.exec(name)?.[1])
    .find((name) => name !== undefined);
  const id = commonName ?? alternative;
  return id !== undefined && topicLevelProblem(id) === undefined ? id : undefined;
}
