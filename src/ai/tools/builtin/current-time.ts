/**
 * `current_time`: what time it is, so the model can answer "what day is it" or "how long until Friday" — models
 * do not know the date otherwise.
 */
import { z } from 'zod';
import { defineTool, type Tool } from '../tool.js';

export interface CurrentTimeOptions {
  /** IANA time zone used when the model names none. Default `Asia/Shanghai` (WeChat's audience). */
  defaultTimezone?: string;
  /** The clock; tests pass a fixed one. */
  now?: () => Date;
}

export interface CurrentTime {
  timezone: string;
  /** Wall-clock time there, `YYYY-MM-DD HH:mm:ss`. */
  localTime: string;
  weekday: string;
  /** e.g. `+08:00`. */
  utcOffset: string;
  /** The same instant in UTC, ISO 8601. */
  utc: string;
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The time at `date` in `timezone` (which must be valid; see `isTimeZone`). */
export function timeIn(timezone: string, date: Date): CurrentTime {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    weekday: 'long', timeZoneName: 'longOffset',
  });
  const parts = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
  // `longOffset` is `GMT+08:00`, or plain `GMT` for UTC in some ICU versions.
  const offset = (parts.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
  return {
    timezone: format.resolvedOptions().timeZone,
    localTime: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`,
    weekday: parts.weekday ?? '',
    utcOffset: offset,
    utc: date.toISOString(),
  };
}

export function createCurrentTimeTool(options: CurrentTimeOptions = {}): Tool {
  const defaultTimezone = options.defaultTimezone ?? 'Asia/Shanghai';
  if (!isTimeZone(defaultTimezone)) throw new RangeError(`unknown time zone ${defaultTimezone}`);
  const now = options.now ?? (() => new Date());
  return defineTool({
    name: 'current_time',
    description: `The current date, time and weekday. Without a timezone it answers for ${defaultTimezone}.`,
    parameters: z.object({
      timezone: z.string()
        .refine(isTimeZone, { message: 'Unknown time zone: use an IANA name such as Asia/Shanghai or Europe/Berlin' })
        .optional()
        .describe(`IANA time zone name, e.g. Asia/Tokyo; default ${defaultTimezone}`),
    }),
    execute: ({ timezone }) => timeIn(timezone ?? defaultTimezone, now()),
  });
}
