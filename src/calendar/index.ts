// Trading calendars: sessions, trading dates, local time.
export * from './sessions.js';
export * from './trading-day.js';
export * from './coverage.js';
export * from './zone.js';
