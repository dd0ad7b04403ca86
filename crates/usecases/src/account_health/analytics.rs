//! Per-day analytics of a number, with the median response time worked out.

use chrono::NaiveDate;
use omni_domain::{AccountId, StoreId};
use omni_ports::DailyFigures;

use super::service::Health;
use crate::accounts::AccountError;

/// One day of analytics, with the rates worked out.
#[derive(Debug, Clone, PartialEq)]
pub struct DayAnalytics {
    /// Raw figures.
    pub figures: DailyFigures,
    /// Median seconds from a customer message to its first reply.
    pub median_response_secs: Option<i64>,
}

/// The median of whole seconds (the lower middle for an even count, so it is one observed
/// value).
#[must_use]
pub fn median(values: &[i64]) -> Option<i64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    (n > 0).then(|| v[(n - 1) / 2])
}

impl Health {
    /// Per-day figures of a number from `from` to `to` (inclusive, at most 366 days).
    ///
    /// # Errors
    /// `NotFound`, storage failure.
    pub async fn analytics(
        &self,
        store: StoreId,
        id: AccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayAnalytics>, AccountError> {
        let account = self.find(store, id).await?;
        let days = self
            .p
            .analytics
            .daily_figures(store, account.id, from, to)
            .await?;
        Ok(days
            .into_iter()
            .map(|figures| DayAnalytics {
                median_response_secs: median(&figures.response_secs),
                figures,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_an_observed_value() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[30, 10, 20]), Some(20));
        assert_eq!(median(&[40, 10, 20, 30]), Some(20));
    }
}
