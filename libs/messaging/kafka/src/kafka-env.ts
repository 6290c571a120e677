import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { applyDecorators } from '@nestjs/common';
import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsString,
  ValidateIf,
} from 'class-validator';
import type { SASLOptions } from 'kafkajs';
import { BoolFromEnv, type ConfigClass, IsBrokerList, IsReadableFile, ListFromEnv, SetOnlyWhen } from '@flexsync/runtime';

/** `KAFKA_BROKERS`: required comma-separated `host:port` list, parsed into an array. */
export function KafkaBrokersField(): PropertyDecorator {
  return applyDecorators(ListFromEnv(), IsArray(), ArrayNotEmpty(), IsBrokerList());
}

export const KAFKA_SASL_MECHANISMS = ['scram-sha-512', 'scram-sha-256', 'plain'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/** How a service authenticates to the brokers; every field optional, the checks below say which go together. */
export interface KafkaSecurityFields {
  KAFKA_SSL: boolean;
  KAFKA_SSL_CA_FILE?: string;
  KAFKA_SSL_CERT_FILE?: string;
  KAFKA_SSL_KEY_FILE?: string;
  KAFKA_SSL_SERVER_NAME?: string;
  KAFKA_SASL_MECHANISM?: KafkaSaslMechanism;
  KAFKA_SASL_USERNAME?: string;
  /** Secret: never logged, never defaulted. */
  KAFKA_SASL_PASSWORD?: string;
}

function isSet(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

function OnlyWhen(condition: (config: KafkaSecurityFields) => boolean, requirement: string): PropertyDecorator {
  return SetOnlyWhen<KafkaSecurityFields>(condition, requirement);
}

/** `KAFKA_SSL`: TLS to the brokers (system CAs unless `KAFKA_SSL_CA_FILE`). */
export function KafkaSslField(): PropertyDecorator {
  return applyDecorators(BoolFromEnv(), IsBoolean());
}

/** `KAFKA_SSL_CA_FILE`, `KAFKA_SSL_CERT_FILE`, `KAFKA_SSL_KEY_FILE`: PEM files (client cert and key for mTLS go together). */
export function KafkaSslFileField(pairedWith?: 'KAFKA_SSL_CERT_FILE' | 'KAFKA_SSL_KEY_FILE'): PropertyDecorator {
  return applyDecorators(
    ValidateIf((config: KafkaSecurityFields, value: unknown) => isSet(value) || (pairedWith !== undefined && isSet(config[pairedWith]))),
    IsString({ message: `$property is required together with ${pairedWith ?? 'KAFKA_SSL'}` }),
    IsReadableFile(),
    OnlyWhen((config) => config.KAFKA_SSL, 'KAFKA_SSL=true'),
  );
}

/** `KAFKA_SSL_SERVER_NAME`: the name the broker certificate must carry when it differs from the broker host. */
export function KafkaSslServerNameField(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_config: KafkaSecurityFields, value: unknown) => value !== undefined),
    IsString(),
    IsNotEmpty(),
    OnlyWhen((config) => config.KAFKA_SSL, 'KAFKA_SSL=true'),
  );
}

/** `KAFKA_SASL_MECHANISM`: `scram-sha-512`, `scram-sha-256` or `plain` (plain only over TLS: it sends the password as is). */
export function KafkaSaslMechanismField(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_config: KafkaSecurityFields, value: unknown) => value !== undefined && value !== ''),
    IsIn(KAFKA_SASL_MECHANISMS, { message: `$property must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}` }),
    OnlyWhen((config) => config.KAFKA_SASL_MECHANISM !== 'plain' || config.KAFKA_SSL, 'KAFKA_SSL=true for plain'),
  );
}

/** `KAFKA_SASL_USERNAME` / `KAFKA_SASL_PASSWORD`: required together with `KAFKA_SASL_MECHANISM`, refused without it. */
export function KafkaSaslCredentialField(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((config: KafkaSecurityFields, value: unknown) => isSet(value) || isSet(config.KAFKA_SASL_MECHANISM)),
    IsString({ message: '$property is required with KAFKA_SASL_MECHANISM' }),
    IsNotEmpty({ message: '$property is required with KAFKA_SASL_MECHANISM' }),
    OnlyWhen((config) => isSet(config.KAFKA_SASL_MECHANISM), 'KAFKA_SASL_MECHANISM'),
  );
}

/** The Kafka TLS/SASL fields, declared once for every service that talks to the brokers. */
export function WithKafkaSecurityFields<TBase extends ConfigClass>(Base: TBase) {
  abstract class KafkaSecured extends Base implements KafkaSecurityFields {
    @KafkaSslField()
    KAFKA_SSL = false;

    @KafkaSslFileField()
    KAFKA_SSL_CA_FILE?: string;

    @KafkaSslFileField('KAFKA_SSL_KEY_FILE')
    KAFKA_SSL_CERT_FILE?: string;

    @KafkaSslFileField('KAFKA_SSL_CERT_FILE')
    KAFKA_SSL_KEY_FILE?: string;

    @KafkaSslServerNameField()
    KAFKA_SSL_SERVER_NAME?: string;

    @KafkaSaslMechanismField()
    KAFKA_SASL_MECHANISM?: KafkaSaslMechanism;

    @KafkaSaslCredentialField()
    KAFKA_SASL_USERNAME?: string;

    @KafkaSaslCredentialField()
    KAFKA_SASL_PASSWORD?: string;
  }
  return KafkaSecured;
}

/** The kafkajs `ssl` and `sasl` options of a validated config (reads the PEM files once, at start). */
export function kafkaSecurityFrom(config: KafkaSecurityFields): { ssl?: ConnectionOptions | boolean; sasl?: SASLOptions } {
  const security: { ssl?: ConnectionOptions | boolean; sasl?: SASLOptions } = {};
  if (config.KAFKA_SSL) {
    const tls: ConnectionOptions = {};
    if (isSet(config.KAFKA_SSL_CA_FILE)) tls.ca = readFileSync(config.KAFKA_SSL_CA_FILE as string, 'utf8');
    if (isSet(config.KAFKA_SSL_CERT_FILE)) tls.cert = readFileSync(config.KAFKA_SSL_CERT_FILE as string, 'utf8');
    if (isSet(config.KAFKA_SSL_KEY_FILE)) tls.key = readFileSync(config.KAFKA_SSL_KEY_FILE as string, 'utf8');
    if (isSet(config.KAFKA_SSL_SERVER_NAME)) tls.servername = config.KAFKA_SSL_SERVER_NAME;
    security.ssl = Object.keys(tls).length > 0 ? tls : true;
  }
  if (config.KAFKA_SASL_MECHANISM) {
    security.sasl = {
      mechanism: config.KAFKA_SASL_MECHANISM,
      username: config.KAFKA_SASL_USERNAME ?? '',
      password: config.KAFKA_SASL_PASSWORD ?? '',
    } as SASLOptions;
  }
  return security;
}
