import { registerDecorator, ValidationArguments } from 'class-validator';

const MINUTES_PER_HOUR = 60;
const MINUTES_PER_DAY = 1440;

/** Windows must tile the hour (a divisor of 60) or the day (a multiple of 60 dividing 1440), so every window is aligned. */
export function tilesHourOrDay(minutes: number): boolean {
  if (!Number.isInteger(minutes) || minutes <= 0) return false;
  if (minutes <= MINUTES_PER_HOUR) return MINUTES_PER_HOUR % minutes === 0;
  return minutes % MINUTES_PER_HOUR === 0 && MINUTES_PER_DAY % minutes === 0;
}

export const ALLOWED_WINDOW_MINUTES = Array.from({ length: MINUTES_PER_DAY }, (_, i) => i + 1).filter(tilesHourOrDay);

export function TilesHourOrDay(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'tilesHourOrDay',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => typeof value === 'number' && tilesHourOrDay(value),
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must divide 60, or be a multiple of 60 that divides 1440 (one of ${ALLOWED_WINDOW_MINUTES.join(', ')})`,
      },
    });
  };
}
