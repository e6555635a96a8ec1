//! A function's own settings, read from `<PREFIX>_*` environment variables:
//! whole numbers with defaults, and any other variable with the function's
//! prefix refused at start, so a misspelled setting cannot silently fall
//! back to its default.

use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("environment variable {name} must be a whole number, got {value:?}")]
    NotANumber { name: &'static str, value: String },
    #[error(
        "environment variable {name} must be a whole number from {min} to {max}, got {value:?}"
    )]
    OutOfRange {
        name: &'static str,
        value: String,
        min: u64,
        max: u64,
    },
    #[error("unknown setting {name}; {function} reads {known}")]
    Unknown {
        name: String,
        function: &'static str,
        known: String,
    },
}

/// One function's settings: its name, its variables' prefix and the names
/// it reads.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub function: &'static str,
    pub prefix: &'static str,
    pub names: &'static [&'static str],
}

impl Settings {
    /// Refuses any of `names` (the environment's) that has the prefix and
    /// is not one of the function's.
    pub fn check_names(&self, names: impl Iterator<Item = String>) -> Result<(), SettingsError> {
        for name in names {
            if name.starts_with(self.prefix) && !self.names.contains(&name.as_str()) {
                return Err(SettingsError::Unknown {
                    name,
                    function: self.function,
                    known: self.names.join(", "),
                });
            }
        }
        Ok(())
    }

    /// [`Self::check_names`] over the process environment.
    pub fn check_env(&self) -> Result<(), SettingsError> {
        self.check_names(std::env::vars().map(|(name, _)| name))
    }
}

/// The one shape of a function's own settings: its names, and how they
/// are read from a lookup. Reading the process environment (an unknown
/// `<PREFIX>_*` name refused first) is the same for every function.
pub trait FunctionSettings: Sized {
    /// The function, its variables' prefix and the names it reads.
    const SETTINGS: Settings;

    /// The settings `lookup` gives, with defaults for what it does not.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError>;

    /// The settings the process environment gives.
    fn from_env() -> Result<Self, SettingsError> {
        Self::SETTINGS.check_env()?;
        Self::from_lookup(|name| std::env::var(name).ok())
    }
}

/// The whole number `lookup` gives for `name` (surrounding blanks allowed),
/// or `default` when it gives none.
pub fn whole_number<T: FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, SettingsError> {
    match lookup(name) {
        None => Ok(default),
        Some(value) => value
            .trim()
            .parse::<T>()
            .map_err(|_| SettingsError::NotANumber { name, value }),
    }
}

/// [`whole_number`], held to `range`.
pub fn whole_number_within(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, SettingsError> {
    let out_of_range = |value: String| SettingsError::OutOfRange {
        name,
        value,
        min: *range.start(),
        max: *range.end(),
    };
    match lookup(name) {
        None => Ok(default),
        Some(value) => match value.trim().parse::<u64>() {
            Ok(number) if range.contains(&number) => Ok(number),
            _ => Err(out_of_range(value)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: Settings = Settings {
        function: "prune",
        prefix: "PRUNE_",
        names: &["PRUNE_MARGIN_DAYS", "PRUNE_TTL_GRACE_HOURS"],
    };

    #[test]
    fn a_misspelled_setting_is_refused_and_other_variables_are_not() {
        let names = ["PATH", "PRUNE_MARGIN_DAY", "PRUNE_MARGIN_DAYS"];
        let error = SETTINGS
            .check_names(names.iter().map(|s| s.to_string()))
            .expect_err("misspelled");
        assert_eq!(
            error.to_string(),
            "unknown setting PRUNE_MARGIN_DAY; prune reads PRUNE_MARGIN_DAYS, PRUNE_TTL_GRACE_HOURS"
        );
        assert!(
            SETTINGS
                .check_names(["PATH".to_owned()].into_iter())
                .is_ok()
        );
    }

    #[test]
    fn a_whole_number_or_its_default_and_nothing_else() {
        let unset = |_: &str| None;
        assert_eq!(whole_number(&unset, "N", 7u16), Ok(7));
        let set = |_: &str| Some(" 3 ".to_owned());
        assert_eq!(whole_number(&set, "N", 7u16), Ok(3));
        for bad in ["soon", "-1", "1.5", ""] {
            let lookup = |_: &str| Some(bad.to_owned());
            assert_eq!(
                whole_number(&lookup, "N", 7u16),
                Err(SettingsError::NotANumber {
                    name: "N",
                    value: bad.to_owned()
                }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_whole_number_within_its_range_or_its_default() {
        let unset = |_: &str| None;
        assert_eq!(whole_number_within(&unset, "N", 7, 1..=9), Ok(7));
        let set = |_: &str| Some("9".to_owned());
        assert_eq!(whole_number_within(&set, "N", 7, 1..=9), Ok(9));
        for bad in ["0", "10", "soon", "-1", ""] {
            let lookup = |_: &str| Some(bad.to_owned());
            assert!(
                matches!(
                    whole_number_within(&lookup, "N", 7, 1..=9),
                    Err(SettingsError::OutOfRange { min: 1, max: 9, .. })
                ),
                "{bad:?}"
            );
        }
    }
}
