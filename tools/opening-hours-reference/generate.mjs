// Writes what the OpenStreetMap reference library (opening_hours.js, pinned in package.json)
// says about opening hours: every expression in the shipped directory bundle and a handwritten
// set, at many moments in Shanghai, as open, closed or unknown, with the next change. The
// kiosk's own evaluation must agree on every row (tests/integration/hours_reference.rs).
//
//   TZ=Asia/Shanghai node generate.mjs > ../../tests/data/opening-hours-reference.json
//
// `check` beside this file regenerates it and fails if it differs from the committed one.
//
// Where the two must differ, the row is left out here with its reason, never silently:
//
// - Public holidays. The kiosk takes `PH` from the State Council's yearly notice, carried in
//   the signed bundle (assets/directory/bundle.json, "holidays"). opening_hours.js has its own
//   fixed list for China (1 January, 8 March, 1 May, 4 May, 1 June, 1 to 3 October) with no
//   Spring Festival, Qingming, Dragon Boat or Mid-Autumn break and no swapped days. On each
//   date where the two lists differ, a `PH` expression's state is left out, and so is a next
//   change that crosses such a date. Every such date is listed in "holiday_differences" with
//   both sides, so a change in either list shows in the diff.
// - Years without a notice in the bundle (2027 in bundle version 2): the kiosk says hours may
//   differ on holidays for a `PH` expression instead of guessing, and gives no next change
//   falling in such a year.
//
// Expressions the kiosk refuses to sign or install (it cannot evaluate them faithfully) are in
// "refused", with what the reference says, for the kiosk's test to check it still refuses them.

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const OpeningHours = require('opening_hours');
const referenceVersion = require('opening_hours/package.json').version;

if (new Date(2026, 0, 1).getTimezoneOffset() !== -480) {
  console.error('generate.mjs: run with TZ=Asia/Shanghai (the kiosk evaluates hours in Shanghai time)');
  process.exit(1);
}

const bundlePath = fileURLToPath(new URL('../../assets/directory/bundle.json', import.meta.url));
const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));

// A station in Shanghai, so that `PH` means China's holidays in the reference.
const nominatim = { lat: 31.2304, lon: 121.4737, address: { country_code: 'cn', state: '上海市' } };

// Handwritten: weekdays, ranges, several rules, off, holidays, overnight, months, 24/7.
const HANDWRITTEN = [
  '24/7',
  'off',
  'closed',
  'Mo-Su 00:00-24:00',
  'Mo-Fr 09:00-17:00',
  'Mo-Fr 09:00-17:00; PH off',
  'Mo-Su 08:00-20:00; PH off',
  'Mo-Su 08:00-20:00; PH 09:00-12:00',
  'Mo-Fr 08:00-11:30,13:30-17:00; Sa 08:00-11:30; PH off',
  'PH off',
  'PH 09:00-12:00',
  'PH',
  '24/7; PH off',
  'Mo-Su 09:00-17:00; PH,Su off',
  'PH,Sa,Su off; Mo-Fr 09:00-17:00',
  'Mo-Fr 09:00-17:00, PH off',
  'Mo-Fr 09:00-17:00; PH unknown',
  'Mo-Sa 09:00-18:00; Su off',
  'Mo,We,Fr 10:00-16:00',
  'Sa,Su 10:00-14:00',
  'Tu-Th 13:00-21:00',
  'Mo-Fr 09:00-17:00; Tu off',
  'Mo-Fr 09:00-17:00; We unknown',
  'Mo-Fr 09:00-12:00, Sa 10:00-12:00',
  'Mo-Fr 09:00-17:00 || Sa 10:00-12:00',
  'Fr 22:00-02:00',
  'Fr-Sa 20:00-04:00',
  'Mo-Fr 22:00-06:00',
  'Mo-Su 18:00-03:00; PH off',
  'Jan-Mar Mo-Fr 09:00-17:00',
  'Apr-Oct Mo-Su 06:00-22:00; Nov-Mar Mo-Su 07:00-20:00',
  'Dec 24-Jan 02 off; Mo-Fr 09:00-17:00',
  'Mo-Fr 09:00-17:00; Dec 31 off',
  'Oct 01-07 off; Mo-Su 09:00-17:00',
  'Mo-Fr 09:00-17:00; Feb off',
  'Mo[1] 09:00-12:00',
  'Mo-Fr 09:00-17:00; 2027 off',
  'week 01-26 Mo-Fr 09:00-17:00',
];

// What the kiosk refuses, and why (src/directory/rank.rs, `evaluable`).
const REFUSED = [
  ['Mo-Fr 09:00-17:00; SH off', 'school holidays (SH): the kiosk has no calendar for them'],
  ['Mo-Su sunrise-sunset', 'sun times: the kiosk would have to guess them'],
  ['Mo-Su 08:00-(sunset-01:00)', 'sun times: the kiosk would have to guess them'],
  ['Mo-Fr 09:00-17:00 "by appointment"', 'a comment: the kiosk does not show it, so it could say "open" without the condition'],
  ['Mo-Fr 09:00-17:00 || "by appointment"', 'a comment: the kiosk does not show it'],
  ['Mo-Fr 09:00+', 'an open end: no closing time (the reference says unknown, the crate open until midnight)'],
  ['Mo-Fr 25:00-26:00 nonsense', 'not opening_hours syntax'],
];

// Ordinary weeks, the National Day and Spring Festival breaks with their make-up working days,
// dates only the reference counts as holidays, the turn of the year, and days in 2027 (no
// notice yet in the bundle).
const DATES = [
  '2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06',
  '2026-07-15', '2026-03-10',
  '2026-09-20', '2026-09-30', '2026-10-01', '2026-10-03', '2026-10-05', '2026-10-08', '2026-10-10',
  '2026-02-14', '2026-02-17', '2026-02-20', '2026-02-24',
  '2026-03-08', '2026-06-01',
  '2026-12-31', '2027-01-01', '2027-02-06', '2027-05-28',
];
const TIMES = [
  '00:30', '01:30', '07:59', '08:00', '09:00', '11:59', '12:00', '13:30', '16:59', '17:00',
  '18:30', '21:59', '22:00', '23:30',
];

const pad = (n) => String(n).padStart(2, '0');
const dayKey = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const minuteKey = (d) => `${dayKey(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
const parseLocal = (s) => {
  const [date, time = '00:00'] = s.split(' ');
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  return new Date(y, m - 1, d, hh, mm);
};
// The kiosk gives the next change only up to the end of the sixth day after the moment's day
// (src/directory/rank.rs, NEXT_CHANGE_DAYS), so that a weekday alone names it.
const horizon = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + 7);
const nextDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1);

// The two holiday lists, day by day over the years the sample touches.
const kioskYears = new Set(bundle.holidays.map((y) => y.year));
const kioskOff = new Set(bundle.holidays.flatMap((y) => y.days_off));
const notice = Object.fromEntries(
  bundle.holidays.map((y) => [y.year, `${y.source.document} (${y.source.number})`]),
);
const referencePH = new OpeningHours('PH', nominatim, { mode: 0 });
const holidayDifferences = [];
const differs = new Set();
for (let d = new Date(2026, 0, 1); d < new Date(2028, 0, 1); d = nextDay(d)) {
  if (!kioskYears.has(d.getFullYear())) continue;
  const key = dayKey(d);
  const noon = new Date(d.getFullYear(), d.getMonth(), d.getDate(), 12);
  const reference = referencePH.getState(noon);
  const kiosk = kioskOff.has(key);
  if (reference !== kiosk) {
    differs.add(key);
    holidayDifferences.push({
      date: key,
      kiosk: kiosk ? `a day off in ${notice[d.getFullYear()]}` : `no day off in ${notice[d.getFullYear()]}`,
      reference: reference
        ? `a public holiday in opening_hours.js ${referenceVersion} (${referencePH.getComment(noon)})`
        : `not a public holiday in opening_hours.js ${referenceVersion}`,
    });
  }
}

const usesPH = (expression) => /(^|[^A-Za-z])PH([^A-Za-z]|$)/.test(expression);

// Whether a moment is left out: a `PH` expression in a year with no notice in the bundle, or
// on a date where the two holiday lists differ.
function leftOut(expression, at) {
  return usesPH(expression) && (!kioskYears.has(at.getFullYear()) || differs.has(dayKey(at)));
}

// Whether a next change is left out: a `PH` expression whose next change (or the end of the
// window) lies past a year with a notice, or past a date where the lists differ.
function nextLeftOut(expression, at, next) {
  if (!usesPH(expression)) return false;
  const end = next ?? horizon(at);
  for (let d = new Date(at.getFullYear(), at.getMonth(), at.getDate()); d <= end; d = nextDay(d)) {
    if (!kioskYears.has(d.getFullYear()) || differs.has(dayKey(d))) return true;
  }
  return false;
}

const moments = DATES.flatMap((date) => TIMES.map((time) => `${date} ${time}`));
const sources = new Map();
for (const entry of bundle.entries) {
  if (entry.opening_hours) sources.set(entry.opening_hours, [...(sources.get(entry.opening_hours) ?? []), entry.id]);
}
const expressions = [...new Set([...sources.keys(), ...HANDWRITTEN])];

const rows = [];
let comparedStates = 0;
let comparedChanges = 0;
for (const expression of expressions) {
  const oh = new OpeningHours(expression, nominatim, { mode: 0 });
  let states = '';
  const next = [];
  for (const moment of moments) {
    const at = parseLocal(moment);
    const state = oh.getUnknown(at) ? 'u' : oh.getState(at) ? 'o' : 'c';
    if (leftOut(expression, at)) {
      states += '-';
      next.push('.');
      continue;
    }
    states += state;
    comparedStates += 1;
    if (state === 'u') {
      next.push('.');
      continue;
    }
    const limit = horizon(at);
    let change = oh.getNextChange(at, limit);
    if (change && change >= limit) change = undefined;
    if (nextLeftOut(expression, at, change)) {
      next.push('-');
    } else {
      comparedChanges += 1;
      next.push(change ? String(Math.round((change - at) / 60000)) : 'n');
    }
  }
  rows.push({ hours: expression, from: sources.get(expression) ?? ['handwritten'], states, next: next.join(' ') });
}

const refused = REFUSED.map(([hours, why]) => {
  let reference;
  // The reference prints its own error before throwing; the answer is kept here instead.
  const quiet = console.error;
  console.error = () => {};
  try {
    const oh = new OpeningHours(hours, nominatim, { mode: 0 });
    reference = `evaluates it (at 2026-12-02 10:00: ${oh.getStateString(parseLocal('2026-12-02 10:00'))})`;
  } catch (error) {
    reference = 'refuses it (throws an error)';
  } finally {
    console.error = quiet;
  }
  return { hours, why, reference };
});

const out = {
  about:
    'Generated by tools/opening-hours-reference/generate.mjs; do not edit. What the reference library says about each expression at each moment (Shanghai time). "states": one letter per moment: o open, c closed, u unknown, - left out. "next": one item per moment, the minutes to the next change from an open or closed moment, n for none before the end of the sixth day after the day of the moment, - left out, . not compared.',
  reference: `opening_hours.js ${referenceVersion}`,
  time_zone: 'Asia/Shanghai',
  bundle_version: bundle.version,
  compared_states: comparedStates,
  compared_next_changes: comparedChanges,
  left_out: [
    `An expression that says PH, at a moment in a year the bundle has no State Council notice for (${[...new Set(moments.map((m) => Number(m.slice(0, 4))))].filter((y) => !kioskYears.has(y)).join(', ')}): the kiosk says hours may differ on public holidays instead of open or closed, and gives no next change in such a year.`,
    'An expression that says PH, on a date in holiday_differences (the kiosk follows the notice, the reference its own fixed list for China), or with such a date before its next change.',
  ],
  holiday_differences: holidayDifferences,
  refused,
  moments,
  expressions: rows,
};
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
