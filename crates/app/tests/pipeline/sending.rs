//! The outbound side: rate limits, the 24-hour window, Meta's errors.
