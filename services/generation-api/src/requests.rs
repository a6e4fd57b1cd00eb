//! The create requests: validation into a normalised [`JobSpec`] per job, and pricing.
//!
//! Prices (credits): image 4 per image; video 2 per second; ad video 3 per
//! second; face swap 3 per target (one job each); reference analysis 5.

use crate::body::Body;
use error_envelope::ApiError;
use serde_json::{Value, json};

pub const ASPECT_RATIOS: [&str; 4] = ["1:1", "4:5", "9:16", "16:9"];

/// The job types (`type` on the wire and in the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobType {
    Image,
    Video,
    AdVideo,
    FaceSwap,
    ReferenceAnalysis,
}

impl JobType {
    pub const ALL: [JobType; 5] = [
        JobType::Image,
        JobType::Video,
        JobType::AdVideo,
        JobType::FaceSwap,
        JobType::ReferenceAnalysis,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobType::Image => "image",
            JobType::Video => "video",
            JobType::AdVideo => "ad_video",
            JobType::FaceSwap => "face_swap",
            JobType::ReferenceAnalysis => "reference_analysis",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// One job to create: its type, normalised parameters and price.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub job_type: JobType,
    pub params: Value,
    pub price: i64,
}

/// References a create request makes that must exist in the workspace.
#[derive(Debug, Clone, Default)]
pub struct References {
    pub brand_id: Option<String>,
    pub avatar_id: Option<String>,
}

/// What every create body may carry besides its own fields.
#[derive(Debug, Clone, Default)]
pub struct Common {
    pub dry_run: bool,
    pub webhook_url: Option<String>,
}

pub fn common(body: &mut Body) -> Result<Common, ApiError> {
    Ok(Common {
        dry_run: body.bool("dry_run")?.unwrap_or(false),
        webhook_url: body.string("webhook_url", 2048)?,
    })
}

pub fn image(body: &mut Body) -> Result<(Vec<JobSpec>, References), ApiError> {
    let prompt = body.required_string("prompt", 2000)?;
    let aspect_ratio = body
        .one_of("aspect_ratio", &ASPECT_RATIOS)?
        .unwrap_or_else(|| "1:1".into());
    let image_count = body.int("image_count", 1, 4)?.unwrap_or(1);
    let brand_id = body.string("brand_id", 64)?;
    let style = body.string("style", 64)?;
    let seed = body.int("seed", 0, i64::from(u32::MAX))?;
    let negative_prompt = body.string("negative_prompt", 1000)?;
    let format = body
        .one_of("output_format", &["png", "webp"])?
        .unwrap_or_else(|| "png".into());
    Ok((
        vec![JobSpec {
            job_type: JobType::Image,
            params: json!({
                "prompt": prompt, "aspect_ratio": aspect_ratio, "image_count": image_count,
                "brand_id": brand_id, "style": style, "seed": seed,
                "negative_prompt": negative_prompt, "output_format": format,
            }),
            price: 4 * image_count,
        }],
        References {
            brand_id,
            avatar_id: None,
        },
    ))
}

pub fn video(body: &mut Body) -> Result<(Vec<JobSpec>, References), ApiError> {
    let prompt = body.required_string("prompt", 2000)?;
    let duration_s = body.int("duration_s", 1, 30)?.unwrap_or(5);
    let aspect_ratio = body
        .one_of("aspect_ratio", &ASPECT_RATIOS)?
        .unwrap_or_else(|| "16:9".into());
    let source_asset_id = body.string("source_asset_id", 64)?;
    let seed = body.int("seed", 0, i64::from(u32::MAX))?;
    Ok((
        vec![JobSpec {
            job_type: JobType::Video,
            params: json!({
                "prompt": prompt, "duration_s": duration_s, "aspect_ratio": aspect_ratio,
                "source_asset_id": source_asset_id, "seed": seed,
            }),
            price: 2 * duration_s,
        }],
        References::default(),
    ))
}

pub fn ad_video(body: &mut Body) -> Result<(Vec<JobSpec>, References), ApiError> {
    let product = body.required_string("product", 200)?;
    let script = body.string("script", 4000)?;
    let brief = body.string("brief", 2000)?;
    if script.is_none() && brief.is_none() {
        return Err(ApiError::validation(
            "script",
            "script or brief is required",
        ));
    }
    let avatar_id = body.string("avatar_id", 64)?;
    let duration_s = body.int("duration_s", 5, 60)?.unwrap_or(15);
    let aspect_ratio = body
        .one_of("aspect_ratio", &ASPECT_RATIOS)?
        .unwrap_or_else(|| "9:16".into());
    let brand_id = body.string("brand_id", 64)?;
    Ok((
        vec![JobSpec {
            job_type: JobType::AdVideo,
            params: json!({
                "product": product, "script": script, "brief": brief, "avatar_id": avatar_id,
                "duration_s": duration_s, "aspect_ratio": aspect_ratio, "brand_id": brand_id,
            }),
            price: 3 * duration_s,
        }],
        References {
            brand_id,
            avatar_id,
        },
    ))
}

/// One job per target, returned together.
pub fn face_swap(body: &mut Body) -> Result<(Vec<JobSpec>, References), ApiError> {
    let source = body.required_string("source_asset_id", 64)?;
    let targets = body
        .strings("target_asset_ids", 10, 64)?
        .ok_or_else(|| ApiError::validation("target_asset_ids", "target_asset_ids is required"))?;
    let specs = targets
        .into_iter()
        .map(|target| JobSpec {
            job_type: JobType::FaceSwap,
            params: json!({ "source_asset_id": source, "target_asset_id": target }),
            price: 3,
        })
        .collect();
    Ok((specs, References::default()))
}

/// A public TikTok video or Instagram Reel URL.
pub fn reference_analysis(body: &mut Body) -> Result<(Vec<JobSpec>, References), ApiError> {
    let url = body.required_string("url", 2048)?;
    let platform = reference_platform(&url).ok_or_else(|| {
        ApiError::validation(
            "url",
            "url must be a public https TikTok video or Instagram Reel URL",
        )
    })?;
    Ok((
        vec![JobSpec {
            job_type: JobType::ReferenceAnalysis,
            params: json!({ "url": url, "platform": platform }),
            price: 5,
        }],
        References::default(),
    ))
}

/// `tiktok` or `instagram` for a URL of a TikTok video or an Instagram Reel.
pub fn reference_platform(url: &str) -> Option<&'static str> {
    let rest = url.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    let segments: Vec<&str> = path
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match host.as_str() {
        "www.tiktok.com" | "tiktok.com" | "m.tiktok.com" => match segments.as_slice() {
            [user, "video", id]
                if user.starts_with('@') && id.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Some("tiktok")
            }
            _ => None,
        },
        "vm.tiktok.com" | "vt.tiktok.com" => (segments.len() == 1).then_some("tiktok"),
        "www.instagram.com" | "instagram.com" => match segments.as_slice() {
            ["reel" | "reels", id] if !id.is_empty() => Some("instagram"),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_urls_are_tiktok_videos_or_instagram_reels() {
        assert_eq!(
            reference_platform("https://www.tiktok.com/@brand/video/7312345678901234567"),
            Some("tiktok")
        );
        assert_eq!(
            reference_platform("https://vm.tiktok.com/ZMabc123/"),
            Some("tiktok")
        );
        assert_eq!(
            reference_platform("https://www.instagram.com/reel/C1a2B3c4D5e/?igsh=x"),
            Some("instagram")
        );
        assert_eq!(reference_platform("http://www.tiktok.com/@b/video/1"), None);
        assert_eq!(
            reference_platform("https://www.instagram.com/p/C1a2B3c4D5e/"),
            None
        );
        assert_eq!(reference_platform("https://evil.example/reel/x"), None);
        assert_eq!(
            reference_platform("https://www.tiktok.com.evil.example/@b/video/1"),
            None
        );
    }

    #[test]
    fn face_swap_makes_one_priced_job_per_target() {
        let mut b =
            Body::parse(br#"{"source_asset_id":"ast_face","target_asset_ids":["ast_1","ast_2"]}"#)
                .unwrap();
        let (specs, _) = face_swap(&mut b).unwrap();
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[1].params["target_asset_id"], "ast_2");
        assert_eq!(specs.iter().map(|s| s.price).sum::<i64>(), 6);
    }
}
