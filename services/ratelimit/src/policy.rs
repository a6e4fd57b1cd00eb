//! The policy table: which limit applies to a (tier, route class) pair.
//!
//! Built-in tiers (requests per 60 s window, burst on top):
//!
//! | tier | limit | burst |
//! |---|---|---|
//! | `anonymous` | 120 | 30 |
//! | `free` | 60 | 10 |
//! | `starter` | 600 | 100 |
//! | `growth` | 3000 | 500 |
//! | `enterprise` | 12000 | 2000 |
//!
//! Built-in route classes: `read` and `write` (factor 1), `generate`
//! (factor 0.1), `ingest` (factor 1; `anonymous` gets 600/min, burst 200,
//! because SDK ingest is keyed by client IP). An unknown tier is treated as the
//! configured `default_tier` (`free`); an unknown route class uses the tier's
//! own limit under the class name `default`.

use crate::config::{Config, LimitOverlay, RouteClassOverlay, TierOverlay};
use std::collections::BTreeMap;

/// One resolved limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `<tier>-<class>`, e.g. `starter-read`.
    pub name: String,
    pub tier: String,
    pub class: String,
    pub limit: u32,
    pub window_seconds: u32,
    pub burst: u32,
    pub shadow: bool,
    /// Index of the tier in [`PolicyTable::tier_names`] (metrics labels).
    pub tier_index: usize,
}

impl Policy {
    /// Most requests a rested client may send at once.
    pub fn capacity(&self) -> u64 {
        u64::from(self.limit) + u64::from(self.burst)
    }

    /// Microseconds between two tokens (rounded up, so the rate never exceeds the limit).
    pub fn interval_us(&self) -> u64 {
        (u64::from(self.window_seconds) * 1_000_000).div_ceil(u64::from(self.limit.max(1)))
    }
}

#[derive(Debug, Clone, Copy)]
struct Tier {
    limit: u32,
    window_seconds: u32,
    burst: u32,
    shadow: bool,
}

#[derive(Debug, Clone, Default)]
struct RouteClass {
    factor: f64,
    tiers: BTreeMap<String, LimitOverlay>,
}

/// Resolved table, built once at start-up; lookups never allocate more than the policy itself.
#[derive(Debug, Clone)]
pub struct PolicyTable {
    tiers: BTreeMap<String, Tier>,
    classes: BTreeMap<String, RouteClass>,
    default_tier: String,
    /// Every (tier, class) policy, precomputed: index `tier_index * classes.len() + class_index`.
    resolved: Vec<Policy>,
    /// Index of each class name in `resolved`'s rows.
    class_index: BTreeMap<String, usize>,
    tier_names: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("tier {0}: limit and window_seconds must be positive")]
    ZeroLimit(String),
    #[error("default_tier {0} is not in the tier table")]
    UnknownDefaultTier(String),
    #[error("route class {0}: factor must be positive and finite")]
    BadFactor(String),
}

fn builtin_tiers() -> BTreeMap<String, Tier> {
    let t = |limit, burst| Tier {
        limit,
        window_seconds: 60,
        burst,
        shadow: false,
    };
    BTreeMap::from([
        ("anonymous".to_owned(), t(120, 30)),
        ("free".to_owned(), t(60, 10)),
        ("starter".to_owned(), t(600, 100)),
        ("growth".to_owned(), t(3000, 500)),
        ("enterprise".to_owned(), t(12000, 2000)),
    ])
}

fn builtin_classes() -> BTreeMap<String, RouteClass> {
    let f = |factor| RouteClass {
        factor,
        tiers: BTreeMap::new(),
    };
    let ingest = RouteClass {
        factor: 1.0,
        tiers: BTreeMap::from([(
            "anonymous".to_owned(),
            LimitOverlay {
                limit: Some(600),
                window_seconds: Some(60),
                burst: Some(200),
            },
        )]),
    };
    BTreeMap::from([
        ("read".to_owned(), f(1.0)),
        ("write".to_owned(), f(1.0)),
        ("generate".to_owned(), f(0.1)),
        ("ingest".to_owned(), ingest),
    ])
}

const DEFAULT_CLASS: &str = "default";

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "bounded by u32 inputs and clamped"
)]
fn scale(v: u32, factor: f64) -> u32 {
    (f64::from(v) * factor)
        .round()
        .clamp(0.0, f64::from(u32::MAX)) as u32
}

impl PolicyTable {
    pub fn from_config(config: &Config) -> Result<Self, PolicyError> {
        Self::build(&config.tiers, &config.route_classes, &config.default_tier)
    }

    pub fn build(
        tier_overlays: &BTreeMap<String, TierOverlay>,
        class_overlays: &BTreeMap<String, RouteClassOverlay>,
        default_tier: &str,
    ) -> Result<Self, PolicyError> {
        let mut tiers = builtin_tiers();
        let default_tier = default_tier.to_ascii_lowercase();
        // Overlays of known tiers first, so a new tier starts from the *configured* default tier.
        let (known, new): (Vec<_>, Vec<_>) = tier_overlays
            .iter()
            .map(|(n, o)| (n.to_ascii_lowercase(), o))
            .partition(|(n, _)| tiers.contains_key(n));
        let mut base = None;
        for (pass, overlays) in [known, new].into_iter().enumerate() {
            if pass == 1 {
                base = Some(
                    *tiers
                        .get(&default_tier)
                        .ok_or_else(|| PolicyError::UnknownDefaultTier(default_tier.clone()))?,
                );
            }
            for (name, o) in overlays {
                let t = tiers.entry(name.clone()).or_insert(base.unwrap_or(Tier {
                    limit: 60,
                    window_seconds: 60,
                    burst: 10,
                    shadow: false,
                }));
                t.limit = o.limit.unwrap_or(t.limit);
                t.window_seconds = o.window_seconds.unwrap_or(t.window_seconds);
                t.burst = o.burst.unwrap_or(t.burst);
                t.shadow = o.shadow.unwrap_or(t.shadow);
                if t.limit == 0 || t.window_seconds == 0 {
                    return Err(PolicyError::ZeroLimit(name));
                }
            }
        }
        let mut classes = builtin_classes();
        for (name, o) in class_overlays {
            let name = name.to_ascii_lowercase();
            let c = classes.entry(name.clone()).or_insert_with(|| RouteClass {
                factor: 1.0,
                tiers: BTreeMap::new(),
            });
            c.factor = o.factor.unwrap_or(c.factor);
            if !(c.factor.is_finite() && c.factor > 0.0) {
                return Err(PolicyError::BadFactor(name));
            }
            for (tier, l) in &o.tiers {
                let e = c.tiers.entry(tier.to_ascii_lowercase()).or_default();
                e.limit = l.limit.or(e.limit);
                e.window_seconds = l.window_seconds.or(e.window_seconds);
                e.burst = l.burst.or(e.burst);
            }
        }
        classes.insert(
            DEFAULT_CLASS.to_owned(),
            RouteClass {
                factor: 1.0,
                tiers: BTreeMap::new(),
            },
        );

        let tier_names: Vec<String> = tiers.keys().cloned().collect();
        let class_index: BTreeMap<String, usize> = classes
            .keys()
            .enumerate()
            .map(|(i, c)| (c.clone(), i))
            .collect();
        let mut resolved = Vec::with_capacity(tiers.len() * classes.len());
        for (tier_index, (tname, t)) in tiers.iter().enumerate() {
            for (cname, c) in &classes {
                let explicit = c.tiers.get(tname);
                let limit = explicit
                    .and_then(|e| e.limit)
                    .unwrap_or_else(|| scale(t.limit, c.factor).max(1));
                let burst = explicit
                    .and_then(|e| e.burst)
                    .unwrap_or_else(|| scale(t.burst, c.factor));
                let window_seconds = explicit
                    .and_then(|e| e.window_seconds)
                    .unwrap_or(t.window_seconds);
                if limit == 0 || window_seconds == 0 {
                    return Err(PolicyError::ZeroLimit(format!("{tname} in class {cname}")));
                }
                let policy = Policy {
                    name: format!("{tname}-{cname}"),
                    tier: tname.clone(),
                    class: cname.clone(),
                    limit,
                    window_seconds,
                    burst,
                    shadow: t.shadow,
                    tier_index,
                };
                resolved.push(policy);
            }
        }
        Ok(Self {
            tiers,
            classes,
            default_tier,
            resolved,
            class_index,
            tier_names,
        })
    }

    /// The policy for a descriptor's tier and route class (both case-insensitive).
    /// Unknown tier → `default_tier`; unknown class → `default`.
    pub fn resolve(&self, tier: &str, class: &str) -> &Policy {
        let tier = lookup(&self.tiers, tier).unwrap_or(self.default_tier.as_str());
        let class = lookup(&self.classes, class).unwrap_or(DEFAULT_CLASS);
        let t = self
            .tier_names
            .binary_search_by(|n| n.as_str().cmp(tier))
            .unwrap_or(0);
        let c = self.class_index.get(class).copied().unwrap_or(0);
        match self.resolved.get(t * self.class_index.len() + c) {
            Some(p) => p,
            None => unreachable!("every (tier, class) pair is resolved at build time"),
        }
    }

    /// Tier names in label order (index = [`Policy::tier_index`]).
    pub fn tier_names(&self) -> &[String] {
        &self.tier_names
    }

    /// Every resolved policy (for the README table and start-up log).
    pub fn policies(&self) -> impl Iterator<Item = &Policy> {
        self.resolved.iter()
    }
}

/// The table's own spelling of `name`, matched case-insensitively without allocating in the common case.
fn lookup<'a, V>(map: &'a BTreeMap<String, V>, name: &str) -> Option<&'a str> {
    if let Some((k, _)) = map.get_key_value(name) {
        return Some(k.as_str());
    }
    map.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> PolicyTable {
        PolicyTable::from_config(&Config::default()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn builtin_tiers_match_the_documented_table() {
        let t = table();
        let p = t.resolve("starter", "read");
        assert_eq!(
            (p.limit, p.window_seconds, p.burst, p.name.as_str()),
            (600, 60, 100, "starter-read")
        );
        assert_eq!(t.resolve("free", "read").limit, 60);
        assert_eq!(t.resolve("growth", "write").limit, 3000);
        assert_eq!(t.resolve("enterprise", "read").limit, 12000);
        assert_eq!(t.resolve("starter", "read").interval_us(), 100_000);
    }

    #[test]
    fn unknown_tier_is_free_and_unknown_class_is_default() {
        let t = table();
        let p = t.resolve("platinum", "read");
        assert_eq!((p.tier.as_str(), p.limit), ("free", 60));
        let p = t.resolve("STARTER", "mystery");
        assert_eq!((p.name.as_str(), p.limit), ("starter-default", 600));
    }

    #[test]
    fn classes_scale_or_override() {
        let t = table();
        let g = t.resolve("starter", "generate");
        assert_eq!((g.limit, g.burst), (60, 10));
        let i = t.resolve("anonymous", "ingest");
        assert_eq!((i.limit, i.burst), (600, 200));
        assert_eq!(t.resolve("free", "generate").limit, 6);
    }

    #[test]
    fn overlays_change_only_named_fields() {
        let tiers = BTreeMap::from([
            (
                "free".to_owned(),
                TierOverlay {
                    limit: Some(100),
                    ..Default::default()
                },
            ),
            (
                "test".to_owned(),
                TierOverlay {
                    limit: Some(5),
                    burst: Some(0),
                    shadow: Some(true),
                    ..Default::default()
                },
            ),
        ]);
        let t =
            PolicyTable::build(&tiers, &BTreeMap::new(), "free").unwrap_or_else(|e| panic!("{e}"));
        let f = t.resolve("free", "read");
        assert_eq!((f.limit, f.burst, f.window_seconds), (100, 10, 60));
        let x = t.resolve("test", "read");
        assert_eq!((x.limit, x.burst, x.shadow), (5, 0, true));
        assert_eq!(t.resolve("starter", "read").limit, 600);
        let zero = BTreeMap::from([(
            "free".to_owned(),
            TierOverlay {
                limit: Some(0),
                ..Default::default()
            },
        )]);
        assert!(PolicyTable::build(&zero, &BTreeMap::new(), "free").is_err());
    }
}
