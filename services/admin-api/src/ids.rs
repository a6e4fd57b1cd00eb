//! Public ids: a resource prefix and 24 random lowercase hex characters
//! (`cus_3f9c…`). Random rather than time-ordered, so ids leak nothing.

pub const CUSTOMER: &str = "cus_";
pub const ORDER: &str = "ord_";
pub const CAMPAIGN: &str = "cam_";
pub const AUDIENCE: &str = "aud_";
pub const JOURNEY: &str = "jrn_";
pub const ENROLLMENT: &str = "enr_";
pub const PRODUCT: &str = "prd_";
pub const INVENTORY: &str = "inv_";
pub const RUN: &str = "run_";
pub const KEYWORD: &str = "kw_";
pub const ATTRIBUTION: &str = "att_";
pub const TOUCHPOINT: &str = "tch_";

pub fn new(prefix: &str) -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}{}", &hex[..24])
}
