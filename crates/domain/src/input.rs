//! Input newtypes that parse rather than validate: once a value of one of these types
//! exists it is known to be well formed, so nothing downstream re-checks it.

use std::fmt;

/// Why a field was refused; becomes one entry of `details.fields` in a 422.
pub type FieldError = String;

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

fn bounded_text(s: &str, min: usize, max: usize) -> Result<(), FieldError> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(format!("must be {min} to {max} characters long"));
    }
    if has_control(s) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

/// Characters in a [`HardwareId`].
pub const HARDWARE_ID_CHARS: std::ops::RangeInclusive<usize> = 1..=256;
/// Characters in a [`Name`].
pub const NAME_CHARS: std::ops::RangeInclusive<usize> = 1..=200;
/// Characters in a presented license key ([`LicenseKeyInput`]).
pub const LICENSE_KEY_CHARS: std::ops::RangeInclusive<usize> = 1..=128;
/// The longest [`Slug`], in characters (all ASCII).
pub const SLUG_MAX: usize = 63;
/// The longest [`Email`], in characters.
pub const EMAIL_MAX: usize = 254;

macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident, $chars:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses a raw string, refusing wrong lengths and control characters.
            pub fn parse(s: &str) -> Result<Self, FieldError> {
                bounded_text(s, *$chars.start(), *$chars.end())?;
                Ok(Self(s.to_owned()))
            }
            /// The parsed text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// Gives the text back.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

text_newtype!(
    /// A per-installation identifier sent by a client; compared byte for byte.
    HardwareId, HARDWARE_ID_CHARS
);
text_newtype!(
    /// A display name for a tenant, token or license.
    Name, NAME_CHARS
);

/// A license key as a client presents it. Its `Debug` hides it so it never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct LicenseKeyInput(String);

impl LicenseKeyInput {
    /// Parses a presented key (1–128 characters, no control characters).
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        bounded_text(s, *LICENSE_KEY_CHARS.start(), *LICENSE_KEY_CHARS.end())?;
        Ok(Self(s.to_owned()))
    }
    /// The key in the form it is hashed for lookup: upper-cased, so a person may type it
    /// in either case.
    pub fn normalized(&self) -> String {
        self.0.to_ascii_uppercase()
    }
}

impl fmt::Debug for LicenseKeyInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LicenseKeyInput(<redacted>)")
    }
}

/// A tenant's URL-safe unique handle: 1–63 of `a-z0-9-`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// Parses a slug.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if s.is_empty() || s.len() > SLUG_MAX || !ok_chars {
            return Err("must be 1 to 63 characters of a-z, 0-9 and -".into());
        }
        Ok(Self(s.to_owned()))
    }
    /// The slug text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address of at most 254 characters, checked for the shape `local@domain.tld`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses an address. The check is structural, not a full RFC 5322 grammar: one `@`,
    /// a non-empty local part, a dotted domain, no spaces or control characters.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let bad = || Err("must be a valid e-mail address of at most 254 characters".into());
        if s.chars().count() > EMAIL_MAX || has_control(s) || s.contains(char::is_whitespace) {
            return bad();
        }
        let Some((local, domain)) = s.split_once('@') else {
            return bad();
        };
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|l| {
                !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-')
            });
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return bad();
        }
        Ok(Self(s.to_owned()))
    }
    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Gives the address back.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Seats on a license: 1 to 1,000,000.
pub const SEATS_RANGE: std::ops::RangeInclusive<i64> = 1..=1_000_000;
/// Heartbeat TTL in seconds: 1 second to 7 days.
pub const HEARTBEAT_TTL_RANGE: std::ops::RangeInclusive<i64> = 1..=604_800;
/// The TTL a license gets when none is given.
pub const DEFAULT_HEARTBEAT_TTL: i64 = 360;
/// A license's `max_borrow_hours`: 0 disables borrowing; at most 90 days. The signing-key
/// retention (`RETIRED_KEY_RETENTION`) covers the longest borrow this allows.
pub const MAX_BORROW_HOURS_RANGE: std::ops::RangeInclusive<i64> = 0..=2160;
/// The `hours` of a borrow request, before the license's own maximum is applied.
pub const BORROW_HOURS_RANGE: std::ops::RangeInclusive<i64> = 1..=2160;
/// The most entitlements a license or product may carry.
pub const ENTITLEMENTS_MAX: usize = 256;
/// The longest entitlement, in characters.
pub const ENTITLEMENT_CHARS_MAX: usize = 128;
/// How long an acquire may wait for a seat (`wait_seconds`).
pub const WAIT_SECONDS_RANGE: std::ops::RangeInclusive<i64> = 0..=300;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardware_id_counts_characters_not_bytes() {
        assert!(HardwareId::parse(&"é".repeat(256)).is_ok());
        assert!(HardwareId::parse(&"é".repeat(257)).is_err());
        assert!(HardwareId::parse("").is_err());
        assert!(HardwareId::parse("a\u{0}b").is_err());
        assert!(HardwareId::parse("a\nb").is_err());
    }

    #[test]
    fn slug_rules() {
        assert!(Slug::parse("acme-1").is_ok());
        assert!(Slug::parse("Acme").is_err());
        assert!(Slug::parse("").is_err());
        assert!(Slug::parse(&"a".repeat(64)).is_err());
        assert!(Slug::parse("a b").is_err());
    }

    #[test]
    fn email_rules() {
        assert!(Email::parse("ana@example.com").is_ok());
        assert!(Email::parse("ana@example").is_err());
        assert!(Email::parse("@example.com").is_err());
        assert!(Email::parse("a b@example.com").is_err());
        assert!(Email::parse("a@@example.com").is_err());
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn license_key_debug_is_redacted() {
        let k = LicenseKeyInput::parse("secret-key").unwrap();
        assert!(!format!("{k:?}").contains("secret"));
        assert_eq!(k.normalized(), "SECRET-KEY");
    }
}
