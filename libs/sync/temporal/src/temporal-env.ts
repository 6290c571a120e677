import { readFileSync } from 'node:fs';
import { applyDecorators } from '@nestjs/common';
import type { TLSConfig } from '@temporalio/client';
import { IsBoolean, IsNotEmpty, IsString, Matches, ValidateIf } from 'class-validator';
import { BoolFromEnv, type ConfigClass, IsReadableFile, SetOnlyWhen } from '@flexsync/runtime';
import type { TemporalSettings } from './temporal-connection';

/** `TEMPORAL_ADDRESS`: required `host:port` of the Temporal frontend. */
export function TemporalAddressField(): PropertyDecorator {
  return applyDecorators(IsString(), Matches(/^[A-Za-z0-9.-]+:\d{1,5}$/, { message: '$property must be host:port' }));
}

/**
 * `TEMPORAL_NAMESPACE`: one per deployment (e.g. `flexsync-prod`, `flexsync-staging`; on Temporal Cloud
 * `<name>.<account>`), so workflows, schedules and their history never mix between deployments, and a client
 * certificate or API key can be scoped to it.
 */
export function TemporalNamespaceField(): PropertyDecorator {
  return applyDecorators(IsString(), IsNotEmpty());
}

/** `TEMPORAL_TASK_QUEUE`: `stripe-sync` (playbook §7); another queue only to isolate a deployment, e.g. in tests. */
export function TemporalTaskQueueField(): PropertyDecorator {
  return applyDecorators(IsString(), IsNotEmpty());
}

/** How a service authenticates to Temporal: mTLS (self-hosted or Cloud) and/or an API key (Temporal Cloud). */
export interface TemporalSecurityFields {
  TEMPORAL_TLS: boolean;
  TEMPORAL_TLS_CA_FILE?: string;
  TEMPORAL_TLS_CERT_FILE?: string;
  TEMPORAL_TLS_KEY_FILE?: string;
  TEMPORAL_TLS_SERVER_NAME?: string;
  /** Secret: never logged, never defaulted. */
  TEMPORAL_API_KEY?: string;
}

function isSet(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

const tlsOn = (config: TemporalSecurityFields): boolean => config.TEMPORAL_TLS;

/** `TEMPORAL_TLS`: TLS to the frontend (system CAs unless `TEMPORAL_TLS_CA_FILE`); required for an API key. */
export function TemporalTlsField(): PropertyDecorator {
  return applyDecorators(BoolFromEnv(), IsBoolean());
}

/** `TEMPORAL_TLS_CA_FILE`, `TEMPORAL_TLS_CERT_FILE` + `TEMPORAL_TLS_KEY_FILE` (mTLS, together): PEM files. */
export function TemporalTlsFileField(pairedWith?: 'TEMPORAL_TLS_CERT_FILE' | 'TEMPORAL_TLS_KEY_FILE'): PropertyDecorator {
  return applyDecorators(
    ValidateIf((config: TemporalSecurityFields, value: unknown) => isSet(value) || (pairedWith !== undefined && isSet(config[pairedWith]))),
    IsString({ message: `$property is required together with ${pairedWith ?? 'TEMPORAL_TLS'}` }),
    IsReadableFile(),
    SetOnlyWhen(tlsOn, 'TEMPORAL_TLS=true'),
  );
}

/** `TEMPORAL_TLS_SERVER_NAME`: the name the frontend's certificate carries when it differs from the address host. */
export function TemporalTlsServerNameField(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_config: TemporalSecurityFields, value: unknown) => value !== undefined),
    IsString(),
    IsNotEmpty(),
    SetOnlyWhen(tlsOn, 'TEMPORAL_TLS=true'),
  );
}

/** `TEMPORAL_API_KEY`: Temporal Cloud API key (sent as a bearer token, so only over TLS). */
export function TemporalApiKeyField(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_config: TemporalSecurityFields, value: unknown) => value !== undefined),
    IsString(),
    IsNotEmpty(),
    SetOnlyWhen(tlsOn, 'TEMPORAL_TLS=true'),
  );
}

/** The Temporal TLS/API-key fields, declared once for every service that talks to Temporal. */
export function WithTemporalSecurityFields<TBase extends ConfigClass>(Base: TBase) {
  abstract class TemporalSecured extends Base implements TemporalSecurityFields {
    @TemporalTlsField()
    TEMPORAL_TLS = false;

    @TemporalTlsFileField()
    TEMPORAL_TLS_CA_FILE?: string;

    @TemporalTlsFileField('TEMPORAL_TLS_KEY_FILE')
    TEMPORAL_TLS_CERT_FILE?: string;

    @TemporalTlsFileField('TEMPORAL_TLS_CERT_FILE')
    TEMPORAL_TLS_KEY_FILE?: string;

    @TemporalTlsServerNameField()
    TEMPORAL_TLS_SERVER_NAME?: string;

    @TemporalApiKeyField()
    TEMPORAL_API_KEY?: string;
  }
  return TemporalSecured;
}

/** The `tls`/`apiKey` options of `Connection.connect` and `NativeConnection.connect` (reads the PEM files once, at start). */
export function temporalSecurityFrom(config: TemporalSecurityFields): Pick<TemporalSettings, 'tls' | 'apiKey'> {
  if (!config.TEMPORAL_TLS) return {};
  const tls: TLSConfig = {};
  if (isSet(config.TEMPORAL_TLS_CA_FILE)) tls.serverRootCACertificate = readFileSync(config.TEMPORAL_TLS_CA_FILE as string);
  if (isSet(config.TEMPORAL_TLS_CERT_FILE) && isSet(config.TEMPORAL_TLS_KEY_FILE)) {
    tls.clientCertPair = {
      crt: readFileSync(config.TEMPORAL_TLS_CERT_FILE as string),
      key: readFileSync(config.TEMPORAL_TLS_KEY_FILE as string),
    };
  }
  if (isSet(config.TEMPORAL_TLS_SERVER_NAME)) tls.serverNameOverride = config.TEMPORAL_TLS_SERVER_NAME;
  return { tls: Object.keys(tls).length > 0 ? tls : true, ...(isSet(config.TEMPORAL_API_KEY) ? { apiKey: config.TEMPORAL_API_KEY } : {}) };
}
