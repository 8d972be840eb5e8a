//! Texture feature maps: a feature value for every pixel of a region, from the square kernel
//! around it (PyRadiomics 3.0.1's voxel-based extraction, `voxelBased=True`).
//!
//! # Semantics (checked against PyRadiomics' own voxel-based maps, `tests/maps.rs`)
//!
//! - **Window.** PyRadiomics crops the image to the region's bounding box padded by the kernel
//!   radius `r` (clipped to the image) before anything else; the maps cover that window, and
//!   every pixel outside the region gets `initValue` (PyRadiomics' default is 0, not NaN).
//! - **Binning first.** The gray levels are binned once over the *binning domain*: the region
//!   with a masked kernel (`maskedKernel`, default true), the whole window without. The levels
//!   present in that domain are the levels of every kernel's matrices, so a level absent from
//!   a kernel is an empty row of its matrices, and `Ng` is the domain's largest level.
//! - **Kernel.** For a region pixel, the `(2r + 1)²` square around it, clipped to the window,
//!   intersected with the binning domain: the region's pixels (masked) or every pixel of the
//!   window (unmasked). The kernel is an ordinary region: the CPU matrix builders and the one
//!   set of formulas compute its features.
//! - **Degenerate kernels** are regions like any other: a kernel that holds its centre alone has
//!   no GLCM pair and no run along any angle, so its GLCM and GLRLM values are NaN; a kernel of
//!   a line has pairs along some angles only, and the others are dropped from its means; a
//!   kernel of two values has no value between its 10th and 90th percentiles, so its robust mean
//!   absolute deviation is NaN. All as PyRadiomics gives them (`tests/maps.rs`).
//! - **One kernel per batch.** The maps are PyRadiomics' with `voxelBatch: 1`. PyRadiomics
//!   computes a batch of kernels (`voxelBatch`, default: all at once) as one array, so an angle
//!   is dropped only where it is empty in every kernel of the batch: a kernel without pairs
//!   along an angle that another kernel has gets JointAverage NaN (its plain mean over angles
//!   meets the empty angle's NaN), and a kernel without any pair makes MCC's eigensolver fail
//!   for the whole batch, whose MCC maps keep `initValue`. Only one kernel per batch gives each
//!   kernel its own values, whatever the other kernels hold; the kernels here are independent.
//! - **Shape** features have no maps (PyRadiomics computes none voxel-based).

pub mod device;

use std::path::Path;

use rayon::prelude::*;

use device::{DeviceMaps, WindowInput, MAX_DEVICE_RADIUS};

use crate::discretize::{Binning, GrayLevels, Ranks};
use crate::error::{Error, Result};
use crate::extract::{
    class_features, filtered_images, CaseClock, CheckedSettings, LoadedCase, PreparedRegion,
    Settings, ORIGINAL,
};
use crate::features::{Feature, FormulaOptions};
use crate::filters::device::DeviceFilters;
use crate::io::Image;
use crate::matrix::cpu::{self, Wanted};
use crate::params::{FeatureClass, FeatureClassSelection, VoxelSetting};
use crate::roi::Region;

/// Most memory the maps of one region may take together (f64 values over the window): a
/// whole-image region of a large image with every feature would otherwise ask for hundreds of
/// gigabytes.
pub const MAX_MAP_BYTES: u64 = 4 << 30;

/// How the kernels of a map are drawn (PyRadiomics' `voxelSetting`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelSettings {
    /// Half the kernel's side: the kernel of a pixel is the square of side `2r + 1` around it
    /// (`kernelRadius`, default 1).
    pub radius: usize,
    /// Whether kernels (and the binning) keep to the region (`maskedKernel`, default true).
    pub masked: bool,
    /// The value of map pixels outside the region (`initValue`, default 0).
    pub init_value: f64,
}

/// Largest kernel radius a map may take (a kernel of 33 × 33 pixels).
pub const MAX_KERNEL_RADIUS: usize = 16;

impl KernelSettings {
    /// These settings, or an error when the radius is not from 1 to [`MAX_KERNEL_RADIUS`].
    pub fn check(self) -> Result<KernelSettings> {
        if (1..=MAX_KERNEL_RADIUS).contains(&self.radius) {
            Ok(self)
        } else {
            Err(Error::Setting(format!(
                "the kernel radius must be from 1 to {MAX_KERNEL_RADIUS}, got {}",
                self.radius
            )))
        }
    }

    /// These settings with what a parameter file's `voxelSetting` sets replacing them.
    pub fn with_voxel_setting(self, voxel: VoxelSetting) -> KernelSettings {
        KernelSettings {
            radius: voxel.kernel_radius.unwrap_or(self.radius),
            masked: voxel.masked_kernel.unwrap_or(self.masked),
            init_value: voxel.init_value.unwrap_or(self.init_value),
        }
    }
}

/// `settings` for texture maps: shape features, which have no maps, left out of its feature
/// selection (a parameter file's `featureClass` may name them); an error when nothing is left, or
/// when the formula or neighbourhood settings are not PyRadiomics' defaults (the map shaders
/// compute those only).
pub fn settings_for_maps(mut settings: Settings) -> Result<Settings> {
    if settings.formulas != FormulaOptions::default() || !settings.neighbourhood.is_default() {
        return Err(Error::Setting(
            "texture maps use PyRadiomics' default formulas and neighbourhood: symmetricalGLCM, weightingNorm, voxelArrayShift, distances, gldm_a and force2D cannot be changed for maps yet (remove them from the parameter file)".into(),
        ));
    }
    if settings.preprocessing.pre_crop.is_some() || settings.preprocessing.resample.is_some() {
        return Err(Error::Setting(
            "texture maps are written in the image's geometry: preCrop and resampledPixelSpacing cannot be used for maps (remove them from the parameter file)".into(),
        ));
    }
    if let Some(classes) = settings.feature_classes.as_mut() {
        classes.retain(|c| c.class != FeatureClass::Shape2D);
        if classes.is_empty() {
            return Err(Error::Setting(
                "the feature selection has no first-order or texture feature (shape features have no maps)".into(),
            ));
        }
    }
    Ok(settings)
}

/// An error naming the image `source` when the maps of a `width × height` case in the image's
/// geometry (the tumour and each ring, every image and selected feature, as f64) would take
/// more than [`MAX_MAP_BYTES`] together: a check for callers that hold them all at once, made
/// before the case is even converted.
pub fn check_full_maps(
    source: &Path,
    (width, height): (usize, usize),
    settings: &CheckedSettings,
) -> Result<()> {
    let images: usize = (settings.image_types.iter())
        .map(|t| t.image_type.image_count())
        .sum();
    let regions = 1 + settings.rings.len();
    let count = regions * images * map_count(settings);
    let pixels = width.saturating_mul(height);
    let bytes = count as u64 * pixels as u64 * 8;
    if bytes <= MAX_MAP_BYTES {
        return Ok(());
    }
    Err(Error::Setting(format!(
        "{}: {count} maps of {pixels} pixels would take {} MiB, above the limit of {} MiB; select fewer features",
        source.display(),
        bytes >> 20,
        MAX_MAP_BYTES >> 20
    )))
}

impl Default for KernelSettings {
    fn default() -> KernelSettings {
        KernelSettings {
            radius: 1,
            masked: true,
            init_value: 0.0,
        }
    }
}

/// The maps of one region: every first-order and texture feature over the window around it.
#[derive(Debug, Clone, PartialEq)]
pub struct TextureMaps {
    /// Column of the window's left edge in the image.
    pub x0: usize,
    /// Row of the window's top edge in the image.
    pub y0: usize,
    /// Window width.
    pub width: usize,
    /// Window height.
    pub height: usize,
    /// Feature names as `<class>_<Feature>` (`glcm_Contrast`), in PyRadiomics' class order.
    pub names: Vec<String>,
    /// One map per feature, each `width * height` values, row-major.
    pub values: Vec<Vec<f64>>,
}

/// The window of a region: its bounding box padded by `radius`, clipped to the image.
fn window(image: &Image, region: &Region, radius: usize) -> (usize, usize, usize, usize) {
    let x0 = region.x0.saturating_sub(radius);
    let y0 = region.y0.saturating_sub(radius);
    let x1 = (region.x0 + region.width + radius).min(image.width);
    let y1 = (region.y0 + region.height + radius).min(image.height);
    (x0, y0, x1 - x0, y1 - y0)
}

impl TextureMaps {
    /// Map `k` in the image's geometry (`width * height` of the image, row-major): the window's
    /// values in place, `init_value` everywhere else.
    pub fn full(&self, k: usize, width: usize, height: usize, init_value: f64) -> Vec<f64> {
        let mut out = vec![init_value; width * height];
        for (row, values) in self.values[k].chunks(self.width).enumerate() {
            let at = (self.y0 + row) * width + self.x0;
            out[at..at + self.width].copy_from_slice(values);
        }
        out
    }
}

/// The maps of one region in one image type.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionMaps {
    /// The region's name (`tumor`, `ring3mm`).
    pub region: String,
    /// The image type (`original`, `log-sigma-1-0-mm-3D`, ...).
    pub image_type: String,
    /// The maps.
    pub maps: TextureMaps,
}

impl RegionMaps {
    /// The name of map `k`, as the feature's column name: `tumor_original_glcm_Contrast`.
    pub fn name(&self, k: usize) -> String {
        format!("{}_{}_{}", self.region, self.image_type, self.maps.names[k])
    }
}

/// The devices a case's maps may use; `None` for either: the CPU.
#[derive(Clone, Copy, Default)]
pub struct MapDevices<'a> {
    /// The filters.
    pub filters: Option<&'a DeviceFilters>,
    /// The map kernels (every class, radius up to [`MAX_DEVICE_RADIUS`]).
    pub maps: Option<&'a DeviceMaps>,
}

/// How many maps [`case_maps`] gives for each region and image type under `settings`'
/// feature selection.
pub fn map_count(settings: &CheckedSettings) -> usize {
    let selection = settings.feature_classes.as_deref();
    device::DEVICE_CLASSES
        .iter()
        .flat_map(|(class, names)| names.iter().map(move |name| (*class, *name)))
        .filter(|(class, name)| FeatureClassSelection::selects(selection, class, name))
        .count()
}

/// The maps of every region of a loaded case (the tumour, then its rings) in every enabled
/// image type (filtered on `device` when given), each with the image type's binning, for the
/// features `settings` selects (all first-order and texture features when it selects none).
pub fn case_maps(
    case: &LoadedCase,
    settings: &CheckedSettings,
    kernel: KernelSettings,
    devices: MapDevices<'_>,
) -> Result<Vec<RegionMaps>> {
    let clock = CaseClock::start(&case.image.source, settings);
    // PyRadiomics' voxel-based run checks the mask first, as its region-based run does (a
    // single pixel, too few dimensions, too few pixels are refused)
    for region in &case.regions {
        settings.preprocessing.roi.check(region, &case.mask_path)?;
    }
    let images = filtered_images(case, settings, devices.filters)?;
    let selection = settings.feature_classes.as_deref();
    let mut out = Vec::with_capacity(case.regions.len() * images.len());
    for region in &case.regions {
        for (name, binning, image) in &images {
            out.push(RegionMaps {
                region: region.name.clone(),
                image_type: name.clone(),
                maps: maps_within(
                    image,
                    region,
                    *binning,
                    kernel,
                    selection,
                    devices.maps,
                    Some(&clock),
                )?,
            });
        }
    }
    Ok(out)
}

/// The maps of the first-order and texture features `selection` selects (all when `None`) of
/// `region` in `image`, with the gray levels binned by `binning` over the binning domain, for
/// the kernels of `kernel`.
pub fn texture_maps(
    image: &Image,
    region: &Region,
    binning: Binning,
    kernel: KernelSettings,
    selection: Option<&[FeatureClassSelection]>,
    device: Option<&DeviceMaps>,
) -> Result<TextureMaps> {
    maps_within(image, region, binning, kernel, selection, device, None)
}

/// An error naming the image and the pixel when the binning domain (the region, or with
/// unmasked kernels the whole window around it) holds a NaN or infinite value: it has no gray
/// level, and the extraction refuses the same pixel in the region.
fn check_finite(
    image: &Image,
    region: &Region,
    (x0, y0, width): (usize, usize, usize),
    values: &[f64],
    domain: &[bool],
) -> Result<()> {
    let Some(k) = (0..values.len()).find(|&k| domain[k] && !values[k].is_finite()) else {
        return Ok(());
    };
    Err(Error::PixelValue {
        path: image.source.clone(),
        region: region.name.clone(),
        detail: format!(
            "map: the kernels read a pixel value of {} (column {}, row {}); only finite values can be binned",
            values[k],
            x0 + k % width,
            y0 + k / width
        ),
    })
}

/// [`texture_maps`] within a case's time budget (`clock`, checked every few thousand kernels).
fn maps_within(
    image: &Image,
    region: &Region,
    binning: Binning,
    kernel: KernelSettings,
    selection: Option<&[FeatureClassSelection]>,
    device: Option<&DeviceMaps>,
    clock: Option<&CaseClock>,
) -> Result<TextureMaps> {
    let (x0, y0, width, height) = window(image, region, kernel.radius);
    let (values, in_region) = window_pixels(image, region, (x0, y0, width, height))?;
    let domain = if kernel.masked {
        in_region.clone()
    } else {
        vec![true; width * height]
    };
    let domain_values: Vec<f64> = values
        .iter()
        .zip(&domain)
        .filter(|(_, &d)| d)
        .map(|(&v, _)| v)
        .collect();
    check_finite(image, region, (x0, y0, width), &values, &domain)?;
    let edges = binning.edges(&domain_values, &image.source)?;
    let binned = GrayLevels::new(&values, &domain, width, height, &edges);
    let ranks = binned.ranks().into_owned();
    // the classes with a selected feature: only their matrices and formulas are computed
    let classes: Vec<&str> = ["firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"]
        .into_iter()
        .filter(|c| selection.is_none_or(|s| s.iter().any(|s| s.class.name() == *c)))
        .collect();
    let window = Window {
        width,
        height,
        values: &values,
        domain: &domain,
        ranks: &ranks,
        levels: &binned.levels,
        radius: kernel.radius,
    };
    let pixels: Vec<usize> = (0..width * height).filter(|&k| in_region[k]).collect();
    let wanted = |f: &Feature| FeatureClassSelection::selects(selection, f.class, f.name);
    // the names from the first kernel; every kernel gives the same features in the same order
    let names: Vec<String> = match pixels.first() {
        Some(&k) => window
            .kernel_features(k % width, k / width, &classes)
            .iter()
            .filter(|f| wanted(f))
            .map(|f| format!("{}_{}", f.class, f.name))
            .collect(),
        None => Vec::new(),
    };
    check_map_size(image, region, names.len(), (width, height), MAX_MAP_BYTES)?;
    let mut maps = vec![vec![kernel.init_value; width * height]; names.len()];
    let device = device.filter(|_| kernel.radius <= MAX_DEVICE_RADIUS);
    let input = WindowInput {
        width,
        height,
        values: &values,
        ranks: &ranks,
        levels: &binned.levels,
        radius: kernel.radius,
    };
    let kernels = Kernels {
        window: &window,
        input,
        pixels: &pixels,
        classes: &classes,
        wanted: &wanted,
        clock,
    };
    fill_maps(&kernels, device, (&names, &mut maps))?;
    Ok(TextureMaps {
        x0,
        y0,
        width,
        height,
        names,
        values: maps,
    })
}

/// Computes the maps (named `names`) of the kernels of `kernels` on the CPU threads; an error
/// when the case's time budget runs out.
fn cpu_maps(kernels: &Kernels<'_>, (names, maps): (&[String], &mut [Vec<f64>])) -> Result<()> {
    let (window, pixels, wanted) = (kernels.window, kernels.pixels, kernels.wanted);
    let classes = kernels.classes;
    let Some(&first) = pixels.first() else {
        return Ok(());
    };
    // every kernel gives the same features in the same order: where each one goes, once
    let targets: Vec<Option<usize>> = window
        .kernel_features(first % window.width, first / window.width, classes)
        .iter()
        .map(|f| {
            let name = format!("{}_{}", f.class, f.name);
            names.iter().position(|n| *n == name).filter(|_| wanted(f))
        })
        .collect();
    // the maps of the wanted values, in order
    let target_maps: Vec<usize> = targets.iter().flatten().copied().collect();
    if target_maps.is_empty() {
        return Ok(());
    }
    // a few thousand kernels at a time: their values, then into the maps (bounded memory)
    in_blocks(kernels, CPU_BLOCK, |chunk| {
        // each kernel's wanted values only, in the order of `targets`' maps
        let values: Vec<Vec<f64>> = chunk
            .par_iter()
            .map(|&k| {
                let features = window.kernel_features(k % window.width, k / window.width, classes);
                (targets.iter().zip(features))
                    .filter(|(target, _)| target.is_some())
                    .map(|(_, f)| f.value)
                    .collect()
            })
            .collect();
        for (&k, values) in chunk.iter().zip(values) {
            for (&m, value) in target_maps.iter().zip(values) {
                maps[m][k] = value;
            }
        }
        Ok(())
    })
}

/// Runs `block` over the kernels' pixels `size` at a time, checking the case's time budget after
/// each block.
fn in_blocks(
    kernels: &Kernels<'_>,
    size: usize,
    mut block: impl FnMut(&[usize]) -> Result<()>,
) -> Result<()> {
    for pixels in kernels.pixels.chunks(size) {
        block(pixels)?;
        if let Some(clock) = kernels.clock {
            clock.check("texture maps")?;
        }
    }
    Ok(())
}

/// The gray values of a region's window (`x0, y0, width, height`) and which of its pixels lie
/// in the region, row-major.
fn window_pixels(
    image: &Image,
    region: &Region,
    (x0, y0, width, height): (usize, usize, usize, usize),
) -> Result<(Vec<f64>, Vec<bool>)> {
    if image.pixels.len() < (y0 + height) * image.width {
        return Err(Error::Setting(format!(
            "{}: the image holds fewer rows than the region's window",
            image.source.display()
        )));
    }
    let values: Vec<f64> = (y0..y0 + height)
        .flat_map(|y| &image.pixels[y * image.width + x0..y * image.width + x0 + width])
        .copied()
        .collect();
    let inside = |x: usize, y: usize| {
        let (rx, ry) = (x + x0, y + y0);
        rx >= region.x0
            && ry >= region.y0
            && rx < region.x0 + region.width
            && ry < region.y0 + region.height
            && region.mask[(ry - region.y0) * region.width + rx - region.x0]
    };
    let in_region: Vec<bool> = (0..width * height)
        .map(|k| inside(k % width, k / width))
        .collect();
    Ok((values, in_region))
}

/// What the maps of one window are computed from.
struct Kernels<'a> {
    /// The binned window, for the CPU.
    window: &'a Window<'a>,
    /// The same, for the device.
    input: WindowInput<'a>,
    /// Window indices of the region pixels to map.
    pixels: &'a [usize],
    /// The classes with a selected feature.
    classes: &'a [&'a str],
    /// Whether a feature is selected.
    wanted: &'a (dyn Fn(&Feature) -> bool + Sync),
    /// The case's time budget.
    clock: Option<&'a CaseClock>,
}

/// Kernels per call of the device's map kernels: a block of work between two checks of the
/// case's time budget.
const DEVICE_BLOCK: usize = 1 << 16;

/// Kernels the CPU threads compute between two checks of the case's time budget (their values
/// are held until the block is done).
const CPU_BLOCK: usize = 4096;

/// Computes `maps` (named `names`): on the device when there is one (every class the maps have,
/// MCC included), else on the CPU threads; an error when the case's time budget runs out.
fn fill_maps(
    kernels: &Kernels<'_>,
    device: Option<&DeviceMaps>,
    (names, maps): (&[String], &mut [Vec<f64>]),
) -> Result<()> {
    let (pixels, classes) = (kernels.pixels, kernels.classes);
    let Some(device) = device.filter(|_| !pixels.is_empty()) else {
        return cpu_maps(kernels, (names, maps));
    };
    let mcc = names.iter().any(|n| n == "glcm_MCC");
    let targets: Vec<Option<usize>> = device::column_names(classes)
        .iter()
        .map(|name| names.iter().position(|n| n == name))
        .collect();
    in_blocks(kernels, DEVICE_BLOCK, |block| {
        let at: Vec<u32> = block.iter().map(|&k| k as u32).collect();
        let columns = device.map(&kernels.input, &at, classes, mcc)?;
        for (target, column) in targets.iter().zip(columns) {
            if let Some(m) = *target {
                for (&k, v) in block.iter().zip(column) {
                    maps[m][k] = v;
                }
            }
        }
        Ok(())
    })
}

/// An error naming the image when `features` maps over a `width × height` window would take
/// more than `limit` bytes.
fn check_map_size(
    image: &Image,
    region: &Region,
    features: usize,
    (width, height): (usize, usize),
    limit: u64,
) -> Result<()> {
    let bytes = features as u64 * (width * height) as u64 * 8;
    if bytes <= limit {
        return Ok(());
    }
    Err(Error::Setting(format!(
        "{}: the maps of region '{}' would take {} MiB ({features} features over a {width}x{height} window), above the limit of {} MiB; map fewer features (--features) at a time",
        image.source.display(),
        region.name,
        bytes >> 20,
        limit >> 20
    )))
}

/// A region's window after binning: what every kernel reads.
struct Window<'a> {
    width: usize,
    height: usize,
    values: &'a [f64],
    domain: &'a [bool],
    /// Rank of each window pixel's level among the domain's levels (0 outside the domain).
    ranks: &'a [u32],
    levels: &'a [u32],
    radius: usize,
}

impl Window<'_> {
    /// The features of `classes` of the kernel around window pixel `(x, y)`.
    fn kernel_features(&self, x: usize, y: usize, classes: &[&str]) -> Vec<Feature> {
        let r = self.radius;
        let (kx0, ky0) = (x.saturating_sub(r), y.saturating_sub(r));
        let (kx1, ky1) = ((x + r + 1).min(self.width), (y + r + 1).min(self.height));
        let (kw, kh) = (kx1 - kx0, ky1 - ky0);
        let mut mask = Vec::with_capacity(kw * kh);
        let mut ranks = Vec::with_capacity(kw * kh);
        let mut values = Vec::new();
        for ky in ky0..ky1 {
            for kx in kx0..kx1 {
                let k = ky * self.width + kx;
                mask.push(self.domain[k]);
                ranks.push(self.ranks[k]);
                if self.domain[k] {
                    values.push(self.values[k]);
                }
            }
        }
        let gray = GrayLevels {
            width: kw,
            height: kh,
            ranks: Ranks::Computed(ranks),
            levels: self.levels.to_vec(),
        };
        let region = Region {
            name: "kernel".into(),
            x0: kx0,
            y0: ky0,
            width: kw,
            height: kh,
            mask,
        };
        let prepared = PreparedRegion {
            region,
            gray,
            values,
            image_type: ORIGINAL.to_string(),
        };
        let wants = |c: &str| classes.contains(&c);
        let wanted = Wanted {
            glrlm: wants("glrlm"),
            glszm: wants("glszm"),
            neighbourhoods: wants("glcm") || wants("gldm") || wants("ngtdm"),
        };
        let matrices = cpu::build_wanted(&prepared.gray, wanted);
        class_features(
            &prepared,
            &matrices,
            None,
            &FormulaOptions::default(),
            wants,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The map count follows the selection: every first-order and texture feature, a class,
    /// single features.
    #[test]
    fn the_map_count_follows_the_selection() {
        let count = |features: Option<&str>| {
            let settings = crate::extract::Settings {
                feature_classes: features.map(|f| FeatureClassSelection::parse_list(f).unwrap()),
                ..Default::default()
            };
            map_count(&settings_for_maps(settings).unwrap().check().unwrap())
        };
        assert_eq!(count(None), 93);
        assert_eq!(count(Some("glcm")), 24);
        assert_eq!(count(Some("glcm_Contrast,firstorder")), 19);
        assert_eq!(count(Some("glrlm,ngtdm_Busyness")), 17);
        let shape_only = crate::extract::Settings {
            feature_classes: Some(Vec::new()),
            ..Default::default()
        };
        let message = settings_for_maps(shape_only).unwrap_err().to_string();
        assert!(
            message.contains("no first-order or texture feature"),
            "{message}"
        );
    }

    /// Maps too large for memory are refused before anything is allocated, naming the image,
    /// the region and what to do.
    #[test]
    fn maps_above_the_memory_limit_are_refused() {
        let image = Image {
            width: 4,
            height: 4,
            pixels: vec![0.0; 16].into(),
            source: "big.png".into(),
        };
        let region = Region::from_full_mask("tumor", &[true; 16], 4, 4).unwrap();
        assert!(check_map_size(&image, &region, 93, (4096, 4096), MAX_MAP_BYTES).is_err());
        assert!(check_map_size(&image, &region, 93, (2048, 2048), MAX_MAP_BYTES).is_ok());
        let message = check_map_size(&image, &region, 2, (1024, 1024), 1 << 20)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "invalid setting: big.png: the maps of region 'tumor' would take 16 MiB (2 features over a 1024x1024 window), above the limit of 1 MiB; map fewer features (--features) at a time"
        );
    }
}
