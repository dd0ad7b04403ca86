//! What a restaurant needs beyond the menu: delivery settings, where an order goes, who
//! takes it there.

use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};
use crate::phone::PhoneNumber;

/// A location pin (WGS 84).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude, -90 to 90.
    pub latitude: f64,
    /// Longitude, -180 to 180.
    pub longitude: f64,
    /// The place name WhatsApp attached, when any.
    #[serde(default)]
    pub name: Option<String>,
    /// The address WhatsApp attached, when any.
    #[serde(default)]
    pub address: Option<String>,
}

/// Coordinates out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("latitude must be -90..90 and longitude -180..180")]
pub struct InvalidGeoPoint;

impl GeoPoint {
    /// A pin, checked.
    ///
    /// # Errors
    /// [`InvalidGeoPoint`] for coordinates out of range or not finite.
    pub fn new(
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    ) -> Result<Self, InvalidGeoPoint> {
        if !(latitude.is_finite()
            && longitude.is_finite()
            && (-90.0..=90.0).contains(&latitude)
            && (-180.0..=180.0).contains(&longitude))
        {
            return Err(InvalidGeoPoint);
        }
        Ok(Self {
            latitude,
            longitude,
            name,
            address,
        })
    }

    /// A Google Maps link to the pin (riders open it).
    #[must_use]
    pub fn maps_url(&self) -> String {
        format!(
            "https://maps.google.com/?q={:.6},{:.6}",
            self.latitude, self.longitude
        )
    }
}

/// The rider taking an order out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rider {
    /// Name the customer sees.
    pub name: String,
    /// The rider's WhatsApp number.
    pub phone: PhoneNumber,
}

/// A priced variant of a menu item ("Large", "Family pack").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuVariant {
    /// Name, unique within the item.
    pub name: String,
    /// Price of this variant.
    pub price: Money,
}

/// A template the store uses to reach someone outside the 24-hour window (riders), with the
/// body parameters it takes in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRef {
    /// Approved template name.
    pub name: String,
    /// Its language code (`en_US`).
    pub language: String,
}

/// A store's ordering settings, kept in its own tenant database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSettings {
    /// Added to every delivery order.
    pub delivery_fee: Money,
    /// Smallest subtotal (before the fee) the store delivers.
    pub min_order: Money,
    /// Answer a voice note with a voice note as well as text (needs a speech service).
    pub voice_replies: bool,
    /// Template for riders outside the 24-hour window: body parameters are the order number,
    /// the order summary, the address and the maps link.
    pub rider_template: Option<TemplateRef>,
}

impl StoreSettings {
    /// The defaults: no fee, no minimum, text replies only, no rider template.
    #[must_use]
    pub const fn defaults(currency: Currency) -> Self {
        Self {
            delivery_fee: Money::zero(currency),
            min_order: Money::zero(currency),
            voice_replies: false,
            rider_template: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_range_checked() {
        assert!(GeoPoint::new(24.86, 67.0, None, None).is_ok());
        assert_eq!(GeoPoint::new(91.0, 0.0, None, None), Err(InvalidGeoPoint));
        assert_eq!(GeoPoint::new(0.0, -181.0, None, None), Err(InvalidGeoPoint));
        assert_eq!(
            GeoPoint::new(f64::NAN, 0.0, None, None),
            Err(InvalidGeoPoint)
        );
        let p = GeoPoint::new(24.8607, 67.0011, None, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            p.maps_url(),
            "https://maps.google.com/?q=24.860700,67.001100"
        );
    }
}
