//! When a nurturing job dispatches: on chosen weekdays at a local time of day in a time
//! zone. Local times are turned into instants with the zone's rules, so a job at 08:00
//! Europe/Berlin stays at 08:00 across daylight-saving changes.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use talentpost_shared::Weekday;

use crate::error::{ServiceError, ServiceResult};

#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    weekdays: i32,
    minute_of_day: u32,
    zone: Tz,
}

impl Schedule {
    /// From the API's values; errors name the field (`weekdays`, `dispatchTime`, `timeZone`).
    pub fn parse(weekdays: &[Weekday], dispatch_time: &str, time_zone: &str) -> ServiceResult<Self> {
        if weekdays.is_empty() {
            return Err(ServiceError::invalid("weekdays", "choose at least one day"));
        }
        let time = NaiveTime::parse_from_str(dispatch_time.trim(), "%H:%M")
            .map_err(|_| ServiceError::invalid("dispatchTime", "must be a time of day like 08:30"))?;
        let zone: Tz = time_zone
            .trim()
            .parse()
            .map_err(|_| ServiceError::invalid("timeZone", "not a known time zone (e.g. Europe/Berlin)"))?;
        Ok(Self {
            weekdays: Weekday::mask(weekdays),
            minute_of_day: time_minutes(time),
            zone,
        })
    }

    /// From stored values; a stored zone that no longer parses falls back to UTC.
    pub fn stored(weekdays: i32, minute_of_day: i32, time_zone: &str) -> Self {
        Self {
            weekdays,
            minute_of_day: u32::try_from(minute_of_day.clamp(0, 24 * 60 - 1)).unwrap_or(0),
            zone: time_zone.parse().unwrap_or(Tz::UTC),
        }
    }

    pub fn weekday_mask(&self) -> i32 {
        self.weekdays
    }

    pub fn minute_of_day(&self) -> i32 {
        self.minute_of_day as i32
    }

    pub fn zone_name(&self) -> &'static str {
        self.zone.name()
    }

    pub fn dispatch_time(&self) -> String {
        format!("{:02}:{:02}", self.minute_of_day / 60, self.minute_of_day % 60)
    }

    /// The first dispatch time strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = after.with_timezone(&self.zone).date_naive();
        (-1..=8)
            .filter_map(|offset| self.instant_on(today + Duration::days(offset)))
            .find(|instant| *instant > after)
    }

    /// The latest dispatch time at or before `at`.
    pub fn last_at_or_before(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = at.with_timezone(&self.zone).date_naive();
        (-8..=1)
            .rev()
            .filter_map(|offset| self.instant_on(today + Duration::days(offset)))
            .find(|instant| *instant <= at)
    }

    /// The dispatch instant on a local date, if the job runs that weekday. A time that
    /// does not exist that day (spring forward) moves on by the gap; a time that exists
    /// twice (fall back) is taken the first time.
    fn instant_on(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        let day = Weekday::ALL[date.weekday().num_days_from_monday() as usize];
        if self.weekdays & day.bit() == 0 {
            return None;
        }
        let local = date.and_time(NaiveTime::from_hms_opt(
            self.minute_of_day / 60,
            self.minute_of_day % 60,
            0,
        )?);
        let instant = match self.zone.from_local_datetime(&local) {
            LocalResult::Single(instant) => instant,
            LocalResult::Ambiguous(first, _) => first,
            LocalResult::None => self
                .zone
                .from_local_datetime(&(local + Duration::hours(1)))
                .earliest()?,
        };
        Some(instant.with_timezone(&Utc))
    }
}

fn time_minutes(time: NaiveTime) -> u32 {
    use chrono::Timelike;
    time.hour() * 60 + time.minute()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn weekdays() -> Vec<Weekday> {
        vec![
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
        ]
    }

    #[test]
    fn the_next_dispatch_skips_days_off_and_follows_local_time() {
        let schedule = Schedule::parse(&weekdays(), "08:00", "Europe/Berlin").unwrap();
        // Friday 2027-03-12 09:00 Berlin (08:00 UTC): next is Monday 08:00 CET = 07:00 UTC.
        assert_eq!(
            schedule.next_after(utc("2027-03-12T08:00:00Z")),
            Some(utc("2027-03-15T07:00:00Z"))
        );
        // Monday 07:59 local: that same morning.
        assert_eq!(
            schedule.next_after(utc("2027-03-15T06:59:00Z")),
            Some(utc("2027-03-15T07:00:00Z"))
        );
        // Exactly at the time: the next one.
        assert_eq!(
            schedule.next_after(utc("2027-03-15T07:00:00Z")),
            Some(utc("2027-03-16T07:00:00Z"))
        );
        assert_eq!(
            schedule.last_at_or_before(utc("2027-03-15T07:00:00Z")),
            Some(utc("2027-03-15T07:00:00Z"))
        );
        assert_eq!(
            schedule.last_at_or_before(utc("2027-03-14T12:00:00Z")),
            Some(utc("2027-03-12T07:00:00Z"))
        );
        // After the change to summer time (28 March 2027) 08:00 Berlin is 06:00 UTC.
        assert_eq!(
            schedule.next_after(utc("2027-03-28T12:00:00Z")),
            Some(utc("2027-03-29T06:00:00Z"))
        );
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_on_and_a_doubled_time_is_taken_once() {
        let every_day = Weekday::ALL.to_vec();
        let gap = Schedule::parse(&every_day, "02:30", "Europe/Berlin").unwrap();
        // 02:30 does not exist on 28 March 2027; 03:30 CEST = 01:30 UTC.
        assert_eq!(
            gap.next_after(utc("2027-03-27T12:00:00Z")),
            Some(utc("2027-03-28T01:30:00Z"))
        );
        let doubled = Schedule::parse(&every_day, "02:30", "Europe/Berlin").unwrap();
        // 02:30 exists twice on 31 October 2027; the first is 00:30 UTC.
        assert_eq!(
            doubled.next_after(utc("2027-10-30T12:00:00Z")),
            Some(utc("2027-10-31T00:30:00Z"))
        );
        assert_eq!(
            doubled.next_after(utc("2027-10-31T00:30:00Z")),
            Some(utc("2027-11-01T01:30:00Z"))
        );
    }

    #[test]
    fn bad_values_name_their_field() {
        let field = |result: ServiceResult<Schedule>| match result {
            Err(ServiceError::InvalidInput { field, .. }) => field,
            _ => String::new(),
        };
        assert_eq!(field(Schedule::parse(&[], "08:00", "Europe/Berlin")), "weekdays");
        assert_eq!(
            field(Schedule::parse(&weekdays(), "25:00", "Europe/Berlin")),
            "dispatchTime"
        );
        assert_eq!(field(Schedule::parse(&weekdays(), "08:00", "Mars/Olympus")), "timeZone");
        assert_eq!(
            Schedule::parse(&weekdays(), " 7:05", "UTC").unwrap().dispatch_time(),
            "07:05"
        );
    }
}
