//! The built-in `local` provider: real media on the CPU, no model, no download.
//!
//! - image: 1–4 PNG/WebP pictures drawn from the prompt ([`crate::render`]);
//! - video / ad_video: H.264 MP4 from rendered frames piped to `ffmpeg`
//!   (`libx264`, yuv420p, 24 fps, `+faststart`); an ad carries the product and
//!   the avatar's colour;
//! - face_swap: the target scene with the source "face" composited in;
//! - reference_analysis: a JSON description of the reference (platform, id, URL).
//!
//! The seed is the request's `seed` or a hash of the request, so the same
//! request gives the same bytes (test mode relies on it). Work runs on
//! blocking threads; `poll` reports progress; `cancel` stops between frames.

use crate::{
    provider::{Artifact, Capabilities, JobInput, Poll, Provider, ProviderError},
    render::{self, Scene},
};
use futures_util::{FutureExt, future::BoxFuture};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    io::Write,
    process::{Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU8, Ordering},
    },
};

const FPS: u32 = 24;

/// Where a finished run leaves its outputs (or why it failed) for `poll`.
type Outcome = Arc<Mutex<Option<Result<Vec<Artifact>, String>>>>;

struct Task {
    progress: Arc<AtomicU8>,
    cancel: Arc<AtomicBool>,
    result: Outcome,
}

pub struct LocalProvider {
    ffmpeg: String,
    tasks: Mutex<HashMap<String, Task>>,
}

impl LocalProvider {
    pub fn new(ffmpeg: impl Into<String>) -> Self {
        Self {
            ffmpeg: ffmpeg.into(),
            tasks: Mutex::new(HashMap::new()),
        }
    }
}

/// The request's seed, or a stable hash of the request.
fn seed(job: &JobInput) -> u64 {
    match job.params["seed"].as_u64() {
        Some(s) => s,
        None => render::seed_of(format!("{}|{}", job.job_type, job.params).as_bytes()),
    }
}

fn text(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_default().to_owned()
}

/// Does the work of one job on the current (blocking) thread.
fn run(
    ffmpeg: &str,
    job: &JobInput,
    progress: &AtomicU8,
    cancel: &AtomicBool,
) -> Result<Vec<Artifact>, String> {
    let p = &job.params;
    let seed = seed(job);
    match job.job_type.as_str() {
        "image" => {
            let count = p["image_count"].as_u64().unwrap_or(1).clamp(1, 4);
            let size = render::image_size(p["aspect_ratio"].as_str().unwrap_or("1:1"));
            let (format, ext) = match p["output_format"].as_str() {
                Some("webp") => ("webp", "webp"),
                _ => ("png", "png"),
            };
            let caption = text(p, "prompt");
            let mut out = Vec::new();
            for i in 0..count {
                if cancel.load(Ordering::Relaxed) {
                    return Err("canceled".into());
                }
                let data = render::picture(seed.wrapping_add(i), &caption, size, format)
                    .map_err(|e| e.to_string())?;
                out.push(Artifact::Bytes {
                    data,
                    ext,
                    width: Some(size.0),
                    height: Some(size.1),
                });
                progress.store(((i + 1) * 100 / count) as u8, Ordering::Relaxed);
            }
            Ok(out)
        }
        "video" | "ad_video" => {
            let size = render::video_size(p["aspect_ratio"].as_str().unwrap_or("16:9"));
            let seconds = p["duration_s"].as_u64().unwrap_or(5).clamp(1, 60) as u32;
            let scene = if job.job_type == "ad_video" {
                let line = p["script"]
                    .as_str()
                    .or(p["brief"].as_str())
                    .unwrap_or_default();
                let avatar = render::seed_of(text(p, "avatar_id").as_bytes()).to_be_bytes();
                Scene::new(seed, &format!("{}: {line}", text(p, "product")))
                    .with_face([avatar[0], avatar[1], avatar[2]])
            } else {
                Scene::new(seed, &text(p, "prompt"))
            };
            let data = encode_video(ffmpeg, &scene, size, seconds, progress, cancel)?;
            Ok(vec![Artifact::Bytes {
                data,
                ext: "mp4",
                width: Some(size.0),
                height: Some(size.1),
            }])
        }
        "face_swap" => {
            let size = (512, 512);
            let face = render::seed_of(text(p, "source_asset_id").as_bytes()).to_be_bytes();
            let target = render::seed_of(text(p, "target_asset_id").as_bytes());
            let pixmap = Scene::new(target, "")
                .with_face([face[0], face[1], face[2]])
                .draw(size.0, size.1, 0.0)
                .ok_or("cannot draw")?;
            let data = render::encode(&pixmap, "png").map_err(|e| e.to_string())?;
            progress.store(100, Ordering::Relaxed);
            Ok(vec![Artifact::Bytes {
                data,
                ext: "png",
                width: Some(size.0),
                height: Some(size.1),
            }])
        }
        "reference_analysis" => {
            let url = text(p, "url");
            let reference_id = url
                .split(['?', '#'])
                .next()
                .unwrap_or_default()
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            let doc = json!({
                "url": url,
                "platform": p["platform"],
                "reference_id": reference_id,
            });
            progress.store(100, Ordering::Relaxed);
            Ok(vec![Artifact::Bytes {
                data: doc.to_string().into_bytes(),
                ext: "json",
                width: None,
                height: None,
            }])
        }
        other => Err(format!("the local provider cannot run {other} jobs")),
    }
}

/// Renders `seconds` of frames and pipes them to ffmpeg; returns the MP4 bytes.
fn encode_video(
    ffmpeg: &str,
    scene: &Scene,
    (w, h): (u32, u32),
    seconds: u32,
    progress: &AtomicU8,
    cancel: &AtomicBool,
) -> Result<Vec<u8>, String> {
    let out = std::env::temp_dir().join(format!("gen-{}.mp4", uuid::Uuid::new_v4().simple()));
    let mut child = Command::new(ffmpeg)
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgba",
            "-s",
        ])
        .arg(format!("{w}x{h}"))
        .args([
            "-r",
            &FPS.to_string(),
            "-i",
            "-",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-threads",
            "1",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            "-fflags",
            "+bitexact",
            "-map_metadata",
            "-1",
            "-f",
            "mp4",
        ])
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {ffmpeg}: {e}"))?;
    let frames = seconds * FPS;
    let caption = scene.caption_layer(w, h);
    let result = (|| {
        let mut stdin = child.stdin.take().ok_or("ffmpeg has no stdin")?;
        for i in 0..frames {
            if cancel.load(Ordering::Relaxed) {
                return Err("canceled".to_owned());
            }
            let frame = scene
                .draw_with(w, h, i as f32 / FPS as f32, caption.as_ref())
                .ok_or("cannot draw a frame")?;
            // Every pixel is opaque (the background is), so premultiplied bytes are straight RGBA.
            stdin
                .write_all(frame.data())
                .map_err(|e| format!("ffmpeg stdin: {e}"))?;
            progress.store((i * 99 / frames) as u8, Ordering::Relaxed);
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = child.kill();
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let bytes = std::fs::read(&out);
    let _ = std::fs::remove_file(&out);
    result?;
    if !output.status.success() {
        return Err(format!(
            "ffmpeg failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    progress.store(100, Ordering::Relaxed);
    bytes.map_err(|e| format!("ffmpeg output: {e}"))
}

impl Provider for LocalProvider {
    fn name(&self) -> &'static str {
        "local"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            job_types: &[
                "image",
                "video",
                "ad_video",
                "face_swap",
                "reference_analysis",
            ],
            cancel: true,
        }
    }

    fn submit<'a>(&'a self, job: &'a JobInput) -> BoxFuture<'a, Result<String, ProviderError>> {
        async move {
            let id = format!("local_{}", uuid::Uuid::new_v4().simple());
            let task = Task {
                progress: Arc::new(AtomicU8::new(0)),
                cancel: Arc::new(AtomicBool::new(false)),
                result: Arc::new(Mutex::new(None)),
            };
            let (progress, cancel, result) = (
                task.progress.clone(),
                task.cancel.clone(),
                task.result.clone(),
            );
            let (ffmpeg, job) = (self.ffmpeg.clone(), job.clone());
            tokio::task::spawn_blocking(move || {
                let r = run(&ffmpeg, &job, &progress, &cancel);
                if let Ok(mut slot) = result.lock() {
                    *slot = Some(r);
                }
            });
            self.tasks
                .lock()
                .map_err(|_| ProviderError::Transient("local provider state poisoned".into()))?
                .insert(id.clone(), task);
            Ok(id)
        }
        .boxed()
    }

    fn poll<'a>(&'a self, request_id: &'a str) -> BoxFuture<'a, Result<Poll, ProviderError>> {
        async move {
            let mut tasks = self
                .tasks
                .lock()
                .map_err(|_| ProviderError::Transient("local provider state poisoned".into()))?;
            let task = tasks.get(request_id).ok_or(ProviderError::UnknownRequest)?;
            let done = task.result.lock().ok().and_then(|mut r| r.take());
            let progress = task.progress.load(Ordering::Relaxed);
            let canceled = task.cancel.load(Ordering::Relaxed);
            match done {
                None => Ok(Poll::Running { progress }),
                Some(r) => {
                    tasks.remove(request_id);
                    Ok(match r {
                        Ok(outputs) => Poll::Succeeded(outputs),
                        Err(_) if canceled => Poll::Canceled,
                        Err(message) => Poll::Failed {
                            code: "generation_failed".into(),
                            message,
                        },
                    })
                }
            }
        }
        .boxed()
    }

    fn cancel<'a>(&'a self, request_id: &'a str) -> BoxFuture<'a, Result<(), ProviderError>> {
        async move {
            if let Ok(mut tasks) = self.tasks.lock()
                && let Some(task) = tasks.remove(request_id)
            {
                task.cancel.store(true, Ordering::Relaxed);
            }
            Ok(())
        }
        .boxed()
    }
}
