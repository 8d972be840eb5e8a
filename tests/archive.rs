//! Archive runs (`sonorad extract --manifest` / `--images --masks`, `sonorad merge`): per-case
//! errors, resume after a kill, refusing to overwrite, Parquet output, shards, folder pairing,
//! per-case manifest settings (`spacing`, `label`, `label_channel` against PyRadiomics) and
//! pass-through columns.
//!
//! Cases come from `sonorad::synth::write_cohort` (seeded speckle images), so every expected
//! table is produced by an uninterrupted run of the same binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sonorad::archive::read_table;

#[path = "common/fixtures.rs"]
mod fixtures;

fn sonorad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args(args)
        .output()
        .expect("run sonorad")
}

fn text(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn cohort(dir: &Path, cases: usize, size: usize) -> PathBuf {
    sonorad::synth::write_cohort(dir, cases, size, 7).unwrap()
}

fn extract(manifest: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "extract",
        "--backend",
        "cpu",
        "--quiet",
        "--ring",
        "5px",
        "--manifest",
    ];
    let (m, o) = (text(manifest), text(out));
    args.extend([m.as_str(), "--out", o.as_str()]);
    args.extend(extra);
    sonorad(&args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn bad_cases_go_to_the_errors_file_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 6, 64);
    std::fs::write(
        dir.path().join("images/broken.png"),
        b"\x89PNG\r\n\x1a\nnot really",
    )
    .unwrap();
    let mut text_manifest = std::fs::read_to_string(&manifest).unwrap();
    text_manifest.push_str("missing,images/nope.png,masks/case_000000_mask.png,0,50,no\n");
    text_manifest.push_str("broken,images/broken.png,masks/case_000000_mask.png,1,50,no\n");
    text_manifest.push_str("wrong_size,images/case_000001.png,../small_mask.png,1,50,no\n");
    image::save_buffer(
        dir.path().parent().unwrap().join("small_mask.png"),
        &[255u8; 16],
        4,
        4,
        image::ExtendedColorType::L8,
    )
    .unwrap();
    std::fs::write(&manifest, text_manifest).unwrap();
    let out = dir.path().join("features.csv");
    let run = extract(&manifest, &out, &[]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("6 of 9 cases extracted, 3 failed"),
        "{}",
        stderr(&run)
    );
    let (header, rows) = read_table(&out).unwrap();
    assert_eq!(&header[..4], ["case_id", "outcome", "age", "lvi"]);
    assert_eq!(rows.len(), 6);
    let (errors_header, errors) = read_table(&dir.path().join("features.csv.errors.csv")).unwrap();
    assert_eq!(errors_header, ["case_id", "file", "message"]);
    let find = |id: &str| errors.iter().find(|r| r[0] == id).unwrap().clone();
    let missing = find("missing");
    assert!(missing[1].ends_with("images/nope.png"), "{missing:?}");
    assert!(missing[2].contains("cannot read file"), "{missing:?}");
    let broken = find("broken");
    assert!(broken[1].ends_with("images/broken.png"), "{broken:?}");
    assert!(broken[2].contains("not a readable image"), "{broken:?}");
    let wrong = find("wrong_size");
    assert!(wrong[1].ends_with("small_mask.png"), "{wrong:?}");
    assert!(wrong[2].contains("mask is 4x4 but image"), "{wrong:?}");
}

#[test]
fn an_existing_output_is_refused_without_resume_or_force() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 2, 48);
    let out = dir.path().join("features.csv");
    assert_eq!(extract(&manifest, &out, &[]).status.code(), Some(0));
    let again = extract(&manifest, &out, &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("features.csv: cannot write: output exists; give --resume to continue it or --force to overwrite it"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        extract(&manifest, &out, &["--force"]).status.code(),
        Some(0)
    );
}

#[test]
fn resume_after_a_kill_gives_the_uninterrupted_table() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 120, 160);
    let whole = dir.path().join("whole.csv");
    assert_eq!(extract(&manifest, &whole, &[]).status.code(), Some(0));

    // Kill a second run once it has written at least one chunk but is not done.
    let out = dir.path().join("killed.csv");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sonorad"))
        .args([
            "extract",
            "--backend",
            "cpu",
            "--quiet",
            "--ring",
            "5px",
            "--memory-budget",
            "1",
            "--manifest",
            &text(&manifest),
            "--out",
            &text(&out),
        ])
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        let lines = std::fs::read_to_string(&out)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if lines > 8 || start.elapsed().as_secs() > 120 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = std::fs::read_to_string(&out).unwrap().lines().count() - 1;
    assert!(partial < 120, "the run finished before it could be killed");

    let resumed = extract(&manifest, &out, &["--resume"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains("skipped (already in the output)"),
        "{}",
        stderr(&resumed)
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(&whole).unwrap()
    );
}

/// A resumed run must compute its rows as the output's rows were computed: the settings are
/// recorded beside the output (`<out>.settings.txt`) and a resume with others (another ring,
/// another bin width with the same columns) is refused, the output untouched. An output without
/// a record still refuses rows with other columns.
#[test]
fn resuming_with_other_settings_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 12, 48);
    let out = dir.path().join("features.csv");
    assert_eq!(extract(&manifest, &out, &[]).status.code(), Some(0));
    let record = dir.path().join("features.csv.settings.txt");
    assert!(std::fs::read_to_string(&record)
        .unwrap()
        .contains("Width(\n"));
    let mut text_manifest = std::fs::read_to_string(&manifest).unwrap();
    // one case the first run did not see, so that the resumed run has rows to write
    let extra = text_manifest
        .lines()
        .nth(1)
        .unwrap()
        .replacen("case_000000", "late", 1);
    text_manifest.push_str(&extra);
    text_manifest.push('\n');
    std::fs::write(&manifest, text_manifest).unwrap();
    let before = std::fs::read_to_string(&out).unwrap();
    for other in [&["--ring", "3px"][..], &["--bin-width", "10"][..]] {
        let mut args = vec!["--resume"];
        args.extend_from_slice(other);
        let resumed = extract(&manifest, &out, &args);
        assert_eq!(resumed.status.code(), Some(1), "{}", stderr(&resumed));
        assert!(
            stderr(&resumed).contains(&format!(
                "{}: was made with other settings (recorded in {}); resume it with the same settings, or give --force to start over",
                out.display(),
                record.display()
            )),
            "{}",
            stderr(&resumed)
        );
        assert_eq!(std::fs::read_to_string(&out).unwrap(), before);
    }
    // the same settings resume
    let resumed = extract(&manifest, &out, &["--resume"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    let after = std::fs::read_to_string(&out).unwrap();
    assert_eq!(after.lines().count(), before.lines().count() + 1);
    // without a record (an output of an older sonorad), the columns still have to match
    std::fs::remove_file(&record).unwrap();
    let mut text_manifest = std::fs::read_to_string(&manifest).unwrap();
    text_manifest.push_str(&extra.replacen("late", "later", 1));
    text_manifest.push('\n');
    std::fs::write(&manifest, text_manifest).unwrap();
    let resumed = extract(&manifest, &out, &["--resume", "--ring", "3px"]);
    assert_eq!(resumed.status.code(), Some(1), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed)
            .contains("cannot write: the existing output has other columns than this run produces"),
        "{}",
        stderr(&resumed)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), after);
}

/// A Parquet run killed after its joined table was renamed into place but before its parts
/// were removed leaves both; `--resume` keeps the table and drops the stale parts instead of
/// reading every row twice.
#[test]
fn a_parquet_run_killed_in_its_finish_resumes_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 8, 48);
    let full = std::fs::read_to_string(&manifest).unwrap();
    let lines: Vec<&str> = full.lines().collect();
    let half = |range: std::ops::Range<usize>, name: &str| {
        let path = dir.path().join(name);
        let mut text = lines[0].to_string() + "\n";
        for line in &lines[range] {
            text += line;
            text += "\n";
        }
        std::fs::write(&path, text).unwrap();
        path
    };
    let (first, second) = (half(1..5, "first.csv"), half(5..9, "second.csv"));
    let out = dir.path().join("features.parquet");
    assert_eq!(extract(&manifest, &out, &[]).status.code(), Some(0));
    let parts = dir.path().join("features.parquet.parts");
    std::fs::create_dir_all(&parts).unwrap();
    for (k, half) in [first, second].iter().enumerate() {
        let part = dir.path().join(format!("half{k}.parquet"));
        assert_eq!(extract(half, &part, &[]).status.code(), Some(0));
        std::fs::rename(&part, parts.join(format!("part-00000{k}.parquet"))).unwrap();
    }
    let resumed = extract(&manifest, &out, &["--resume"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    let (_, rows) = read_table(&out).unwrap();
    let mut ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((rows.len(), ids.len()), (8, 8));
    assert!(!parts.exists());
}

#[test]
fn resume_cuts_a_half_written_line() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 5, 48);
    let whole = dir.path().join("whole.csv");
    assert_eq!(extract(&manifest, &whole, &[]).status.code(), Some(0));
    let full = std::fs::read_to_string(&whole).unwrap();
    // The header, two rows and half of the third, as a kill in the middle of a write leaves.
    let lines: Vec<&str> = full.lines().collect();
    let cut = format!(
        "{}\n{}\n{}\n{}",
        lines[0],
        lines[1],
        lines[2],
        &lines[3][..40]
    );
    let out = dir.path().join("cut.csv");
    std::fs::write(&out, cut).unwrap();
    let resumed = extract(&manifest, &out, &["--resume"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert!(stderr(&resumed).contains("3 of 5 cases extracted, 0 failed, 2 skipped"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), full);
}

#[test]
fn parquet_reads_back_equal_to_csv() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 12, 64);
    let csv = dir.path().join("f.csv");
    let parquet = dir.path().join("f.parquet");
    assert_eq!(extract(&manifest, &csv, &[]).status.code(), Some(0));
    assert_eq!(
        extract(&manifest, &parquet, &["--memory-budget", "1"])
            .status
            .code(),
        Some(0)
    );
    assert!(!dir.path().join("f.parquet.parts").exists());
    assert_eq!(read_table(&parquet).unwrap(), read_table(&csv).unwrap());
    // The two parts (chunks of 8 and 4 cases) are joined part by part: one row group each.
    let file = std::fs::File::open(&parquet).unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let groups: Vec<i64> = reader
        .metadata()
        .row_groups()
        .iter()
        .map(|g| g.num_rows())
        .collect();
    assert_eq!(groups, [8, 4]);
}

#[test]
fn shards_merged_equal_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 10, 64);
    let whole = dir.path().join("whole.csv");
    assert_eq!(extract(&manifest, &whole, &[]).status.code(), Some(0));
    let mut shards = Vec::new();
    for k in 1..=3 {
        let out = dir.path().join(format!("shard{k}.csv"));
        let shard = format!("{k}/3");
        assert_eq!(
            extract(&manifest, &out, &["--shard", &shard]).status.code(),
            Some(0)
        );
        shards.push(text(&out));
    }
    let (_, first) = read_table(Path::new(&shards[0])).unwrap();
    assert_eq!(first.len(), 4, "shard 1/3 holds cases 0, 3, 6, 9");

    let merged = dir.path().join("merged.csv");
    let mut args = vec![
        "merge".to_string(),
        "--manifest".into(),
        text(&manifest),
        "--out".into(),
        text(&merged),
    ];
    args.extend(shards.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = sonorad(&args);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(
        std::fs::read_to_string(&merged).unwrap(),
        std::fs::read_to_string(&whole).unwrap()
    );

    // A missing shard is named as missing cases; a shard given twice as duplicates.
    let run = sonorad(&args[..args.len() - 1]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr(&run).contains("3 manifest case(s) are in no shard output and no errors file")
            && stderr(&run).contains("shard 3/3 is missing: no output given for it (3 cases)"),
        "{}",
        stderr(&run)
    );
    // A shard cut short (a killed array task: its last rows gone) is named as unfinished; run
    // again it resumes, and the merge holds every case exactly once.
    let full = std::fs::read_to_string(&shards[1]).unwrap();
    let cut: Vec<&str> = full.lines().collect();
    std::fs::write(&shards[1], cut[..cut.len() - 2].join("\n") + "\n").unwrap();
    let run = sonorad(&args);
    assert!(
        stderr(&run).contains(&format!(
            "shard 2/3 ({}) is unfinished: 2 of its cases are in neither its output nor its errors file",
            shards[1]
        )),
        "{}",
        stderr(&run)
    );
    let resumed = extract(
        &manifest,
        Path::new(&shards[1]),
        &["--shard", "2/3", "--resume"],
    );
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    let run = sonorad(&args);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(
        std::fs::read_to_string(&merged).unwrap(),
        std::fs::read_to_string(&whole).unwrap()
    );
    let mut twice = args.clone();
    twice.push(args[args.len() - 1]);
    let run = sonorad(&twice);
    assert!(
        stderr(&run).contains(&format!(
            "{}: case 'case_000002' is also in {}",
            shards[2], shards[2]
        )),
        "{}",
        stderr(&run)
    );

    // A case the manifest does not list, and a shard with other columns, name the shard.
    let short = dir.path().join("short.csv");
    let listed: String = std::fs::read_to_string(&manifest)
        .unwrap()
        .lines()
        .take(10)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&short, listed).unwrap();
    let mut stray = args.clone();
    let short_text = text(&short);
    stray[2] = &short_text;
    let run = sonorad(&stray);
    assert!(
        stderr(&run).contains(&format!(
            "{}: case 'case_000009' is not in the manifest",
            shards[0]
        )),
        "{}",
        stderr(&run)
    );
    let odd = dir.path().join("odd.csv");
    std::fs::write(&odd, "case_id,x\ncase_000001,1\n").unwrap();
    let mut columns = args[..args.len() - 1].to_vec();
    let odd_text = text(&odd);
    columns.push(&odd_text);
    let run = sonorad(&columns);
    assert!(
        stderr(&run).contains(&format!("{odd_text}: has other columns than {}", shards[0])),
        "{}",
        stderr(&run)
    );
}

/// The guide's Slurm recipe merges `shards/part_*.csv`, a glob that also matches each shard's
/// errors file (`part_1.csv.errors.csv`). With a failed case that file has rows, and read as a
/// shard output it made the merge refuse ("has other columns"): merge leaves out the errors
/// file of a shard it is given, and reads it with its shard.
#[test]
fn a_glob_that_matches_the_shards_errors_files_merges() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 6, 64);
    let mut listed = std::fs::read_to_string(&manifest).unwrap();
    listed.push_str("missing,images/nope.png,masks/case_000000_mask.png,0,50,no\n");
    std::fs::write(&manifest, listed).unwrap();
    let mut given = Vec::new();
    for k in 1..=2 {
        let out = dir.path().join(format!("part_{k}.csv"));
        let shard = format!("{k}/2");
        let run = extract(&manifest, &out, &["--shard", &shard]);
        assert!(matches!(run.status.code(), Some(0 | 2)), "{}", stderr(&run));
        given.push(text(&out));
        given.push(text(&dir.path().join(format!("part_{k}.csv.errors.csv"))));
    }
    let merged = dir.path().join("merged.csv");
    let mut args = vec!["merge".to_string(), "--manifest".into(), text(&manifest)];
    args.extend(["--out".into(), text(&merged)]);
    args.extend(given);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = sonorad(&args);
    // exit status 2, as extract's: the table is written, and a case failed
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("6 rows merged from 2 shard outputs")
            && stderr(&run).contains(
                "1 case(s) failed in their shard (see the shards' errors files): missing"
            ),
        "{}",
        stderr(&run)
    );
    let single = dir.path().join("single.csv");
    assert_eq!(extract(&manifest, &single, &[]).status.code(), Some(2));
    assert_eq!(text_of(&merged), text_of(&single));
}

fn text_of(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn folders_are_paired_by_mask_suffix() {
    let dir = tempfile::tempdir().unwrap();
    cohort(dir.path(), 3, 48);
    let images = dir.path().join("images");
    std::fs::copy(images.join("case_000000.png"), images.join("orphan.png")).unwrap();
    let out = dir.path().join("f.csv");
    let run = sonorad(&[
        "extract",
        "--backend",
        "cpu",
        "--quiet",
        "--images",
        &text(&images),
        "--masks",
        &text(&dir.path().join("masks")),
        "--out",
        &text(&out),
    ]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    let (_, rows) = read_table(&out).unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["case_000000", "case_000001", "case_000002"]);
    let (_, errors) = read_table(&dir.path().join("f.csv.errors.csv")).unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0][0], "orphan");
    assert!(
        errors[0][1].contains("orphan_mask.<png|dcm|nii|...>"),
        "{:?}",
        errors[0]
    );
}

#[test]
fn manifest_spacing_and_label_columns_apply_per_case() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 2, 64);
    let original = std::fs::read_to_string(&manifest).unwrap();
    let mut lines = original.lines();
    let mut with_columns = format!("{},spacing\n", lines.next().unwrap());
    with_columns.push_str(&format!("{},0.1\n", lines.next().unwrap()));
    with_columns.push_str(&format!("{},0.2\n", lines.next().unwrap()));
    let per_case = dir.path().join("per_case.csv");
    std::fs::write(&per_case, with_columns).unwrap();
    let out = dir.path().join("f.csv");
    let run = sonorad(&[
        "extract",
        "--backend",
        "cpu",
        "--quiet",
        "--ring",
        "1mm",
        "--manifest",
        &text(&per_case),
        "--out",
        &text(&out),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let (header, rows) = read_table(&out).unwrap();
    // A 1 mm ring is 10 px at 0.1 mm and 5 px at 0.2 mm: compare with px runs.
    for (row, px) in rows.iter().zip(["10px", "5px"]) {
        let case = row[0].clone();
        let single = sonorad(&[
            "extract",
            "--backend",
            "cpu",
            "--image",
            &text(&dir.path().join(format!("images/{case}.png"))),
            "--mask",
            &text(&dir.path().join(format!("masks/{case}_mask.png"))),
            "--ring",
            px,
        ]);
        let long = String::from_utf8(single.stdout).unwrap();
        let ring_pixels = long
            .lines()
            .find(|l| l.starts_with(&format!("ring{px}_original_shape2D_PixelSurface,")))
            .unwrap()
            .split(',')
            .nth(1)
            .unwrap()
            .parse::<f64>()
            .unwrap();
        let at = header
            .iter()
            .position(|h| h == "ring1mm_original_shape2D_PixelSurface")
            .unwrap();
        let spacing: f64 = if px == "10px" { 0.1 } else { 0.2 };
        let area: f64 = row[at].parse().unwrap();
        assert!(
            (area - ring_pixels * spacing * spacing).abs() < 1e-9 * area,
            "{case}: {area} vs {ring_pixels} px"
        );
    }
}

#[test]
fn manifest_label_column_selects_the_region_per_case() {
    let dir = tempfile::tempdir().unwrap();
    cohort(dir.path(), 1, 64);
    // A mask with two labels: the left half of the lesion is 1, the right half 2.
    let mask = image::open(dir.path().join("masks/case_000000_mask.png"))
        .unwrap()
        .to_luma8();
    let labels = image::GrayImage::from_fn(mask.width(), mask.height(), |x, y| {
        let inside = mask.get_pixel(x, y)[0] > 0;
        image::Luma([match (inside, x < 32) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => 2,
        }])
    });
    labels.save(dir.path().join("labels.png")).unwrap();
    let manifest = dir.path().join("labels.csv");
    std::fs::write(
        &manifest,
        "case_id,image,mask,label\nleft,images/case_000000.png,labels.png,1\nright,images/case_000000.png,labels.png,2\n",
    )
    .unwrap();
    let out = dir.path().join("f.csv");
    let run = extract(&manifest, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let (header, rows) = read_table(&out).unwrap();
    let at = header
        .iter()
        .position(|h| h == "tumor_original_firstorder_Mean")
        .unwrap();
    for (row, label) in rows.iter().zip(["1", "2"]) {
        let single = sonorad(&[
            "extract",
            "--backend",
            "cpu",
            "--image",
            &text(&dir.path().join("images/case_000000.png")),
            "--mask",
            &text(&dir.path().join("labels.png")),
            "--label",
            label,
        ]);
        let long = String::from_utf8(single.stdout).unwrap();
        let mean = long
            .lines()
            .find_map(|l| l.strip_prefix("tumor_original_firstorder_Mean,"))
            .unwrap();
        assert_eq!(row[at], mean, "label {label}");
    }
    assert_ne!(rows[0][at], rows[1][at]);
}

/// The `label_channel` column picks a channel of an RGB mask per case (an empty cell: the run's,
/// a one-channel mask ignores it), each case equal to PyRadiomics' features of that channel
/// (tests/fixtures/settings/expected); a channel the mask lacks fails that case alone, and a
/// negative one refuses the manifest, naming the line and the column.
#[test]
fn manifest_label_channel_column_reads_a_channel_per_case() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixtures::fixtures();
    let image = text(&root.join("busi/benign/benign (2).png"));
    let rgb = text(&root.join("settings/channels/benign2_rgb_mask.png"));
    let scalar = text(&root.join("settings/masks01/benign (2)_mask.png"));
    let rows = [
        ("channel0", &rgb, "", "0", "label_channel_0_rgb_benign2"),
        ("channel1", &rgb, "", "1", "label_channel_1_rgb_benign2"),
        (
            "channel2",
            &rgb,
            "2",
            "2",
            "label_channel_2_label_2_rgb_benign2",
        ),
        ("default", &rgb, "", "", "label_channel_0_rgb_benign2"),
        ("scalar", &scalar, "", "2", "label_channel_2_scalar_benign2"),
        ("absent", &rgb, "", "3", ""),
    ];
    let mut csv = String::from("case_id,image,mask,label,label_channel\n");
    for (id, mask, label, channel, _) in &rows {
        csv.push_str(&format!("{id},\"{image}\",\"{mask}\",{label},{channel}\n"));
    }
    let manifest = dir.path().join("channels.csv");
    std::fs::write(&manifest, &csv).unwrap();
    let (out, errors) = (dir.path().join("f.csv"), dir.path().join("e.csv"));
    let params = text(&root.join("settings/params/label_channel_0.yaml"));
    let run = sonorad(&[
        "extract",
        "--backend",
        "cpu",
        "--quiet",
        "--params",
        &params,
        "--manifest",
        &text(&manifest),
        "--out",
        &text(&out),
        "--errors",
        &text(&errors),
    ]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    let failed = std::fs::read_to_string(&errors).unwrap();
    assert!(
        failed.contains("absent")
            && failed.contains("label_channel 3 requested, but the mask has only 3 channels"),
        "{failed}"
    );
    let (header, table) = read_table(&out).unwrap();
    assert_eq!(table.len(), 5);
    for (row, (id, _, _, _, expected)) in table.iter().zip(&rows) {
        assert_eq!(&row[0], id);
        let path = root.join(format!("settings/expected/{expected}.csv"));
        let theirs = fixtures::read_long(&std::fs::read_to_string(path).unwrap());
        for (name, value) in theirs {
            let at = header
                .iter()
                .position(|h| *h == format!("tumor_{name}"))
                .unwrap();
            let ours: f64 = row[at].parse().unwrap();
            assert!(
                (ours - value).abs() <= 1e-9 * value.abs().max(1e-3),
                "{id}: {name} {ours} vs PyRadiomics {value}"
            );
        }
    }
    std::fs::write(&manifest, csv.replace(",1\n", ",-1\n")).unwrap();
    let run = extract(&manifest, &dir.path().join("g.csv"), &[]);
    assert_ne!(run.status.code(), Some(0));
    assert!(
        stderr(&run).contains("line 3: label_channel '-1' is not a non-negative integer"),
        "{}",
        stderr(&run)
    );
}

/// Outputs that would overwrite an input or each other are refused before anything is
/// written: `--errors` equal to `--out` (also spelled differently), `--out` equal to the
/// manifest even with `--force`.
#[test]
fn outputs_that_would_overwrite_an_input_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 2, 48);
    let before = std::fs::read(&manifest).unwrap();
    let out = dir.path().join("features.csv");
    let same = format!("{}/./features.csv", dir.path().display());
    let run = extract(&manifest, &out, &["--errors", &same]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr(&run).contains(
            "features.csv: the errors file (--errors) and the output (--out) are the same file"
        ),
        "{}",
        stderr(&run)
    );
    assert!(!out.exists());
    let run = extract(&manifest, &manifest, &["--force"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr(&run).contains("the output is the manifest")
            && stderr(&run).contains("choose another --out"),
        "{}",
        stderr(&run)
    );
    assert_eq!(std::fs::read(&manifest).unwrap(), before);
}

/// Names that would repeat are errors naming the duplicate: an image type given twice, a
/// pass-through column named like a feature column, two images of one folder with one stem.
#[test]
fn duplicate_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 2, 48);
    let out = dir.path().join("features.csv");
    let run = extract(&manifest, &out, &["--filters", "original,square,original"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr(&run)
            .contains("image type 'original' is given twice (its feature columns would repeat)"),
        "{}",
        stderr(&run)
    );
    let edited = std::fs::read_to_string(&manifest).unwrap().replacen(
        ",age,",
        ",tumor_original_firstorder_Mean,",
        1,
    );
    std::fs::write(&manifest, edited).unwrap();
    let run = extract(&manifest, &out, &[]);
    assert_ne!(run.status.code(), Some(0));
    assert!(
        stderr(&run).contains("column 'tumor_original_firstorder_Mean' would appear twice"),
        "{}",
        stderr(&run)
    );
    let images = dir.path().join("images");
    std::fs::copy(
        images.join("case_000000.png"),
        images.join("case_000000.bmp"),
    )
    .unwrap();
    let run = sonorad(&[
        "extract",
        "--backend",
        "cpu",
        "--quiet",
        "--images",
        &text(&images),
        "--masks",
        &text(&dir.path().join("masks")),
        "--out",
        &text(&dir.path().join("pairs.csv")),
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr(&run).contains("case_000000.bmp and ")
            && stderr(&run).contains("would both be case 'case_000000'; rename one"),
        "{}",
        stderr(&run)
    );
}

/// `--write-masks` turns case ids into folder names that cannot leave the target folder.
#[test]
fn case_ids_cannot_write_masks_outside_the_folder() {
    use sonorad::io::manifest::file_name_of_id;
    assert_eq!(file_name_of_id("case_001"), "case_001");
    assert_eq!(file_name_of_id("a.b-c"), "a.b-c");
    for hostile in ["/tmp/x", "../../x", "..", ".", "", "a/b", "a\\b", "C:x"] {
        let name = file_name_of_id(hostile);
        assert!(!name.contains(['/', '\\', ':']), "{hostile} -> {name}");
        assert!(!name.chars().all(|c| c == '.'), "{hostile} -> {name}");
        assert!(name.len() > 8, "{hostile} -> {name}");
    }
    assert_ne!(file_name_of_id("a/b"), file_name_of_id("a_b"));
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 2, 48);
    let edited =
        std::fs::read_to_string(&manifest)
            .unwrap()
            .replacen("case_000000,", "../../escaped,", 1);
    std::fs::write(&manifest, edited).unwrap();
    let masks = dir.path().join("out").join("masks");
    let run = extract(
        &manifest,
        &dir.path().join("out.csv"),
        &["--write-masks", &text(&masks)],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let written: Vec<String> = std::fs::read_dir(&masks)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(
        written.iter().any(|n| n.starts_with(".._.._escaped-")),
        "{written:?}"
    );
    assert!(!dir.path().join("escaped").exists());
}

/// A CSV output cut by a kill inside a quoted case id that holds a newline resumes: the cut
/// record is dropped as a whole (it used to leave a record of one field that stopped the
/// resume).
#[test]
fn resume_drops_a_record_cut_inside_a_quoted_id() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 4, 48);
    let out = dir.path().join("features.csv");
    assert_eq!(extract(&manifest, &out, &[]).status.code(), Some(0));
    let complete = std::fs::read_to_string(&out).unwrap();
    for partial in ["\"new\n", "\"new\ncase\",0,5", "\"new\ncase\",0,5,0.1"] {
        std::fs::write(&out, format!("{complete}{partial}")).unwrap();
        let resumed = extract(&manifest, &out, &["--resume"]);
        assert_eq!(
            resumed.status.code(),
            Some(0),
            "{partial:?}: {}",
            stderr(&resumed)
        );
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            complete,
            "{partial:?}"
        );
    }
}

#[test]
fn a_case_over_its_time_budget_is_recorded_and_the_rest_goes_on() {
    // six 64² cases take milliseconds; one 2048² case with wavelet and LoG images takes
    // seconds, far beyond a 0.5 s budget (checked after every filter and region)
    let dir = tempfile::tempdir().unwrap();
    let manifest = cohort(dir.path(), 6, 64);
    sonorad::synth::write_cohort(&dir.path().join("huge"), 1, 2048, 3).unwrap();
    let mut text_manifest = std::fs::read_to_string(&manifest).unwrap();
    text_manifest
        .push_str("huge,huge/images/case_000000.png,huge/masks/case_000000_mask.png,1,50,no\n");
    std::fs::write(&manifest, text_manifest).unwrap();
    let out = dir.path().join("features.csv");
    let run = extract(
        &manifest,
        &out,
        &[
            "--filters",
            "original,wavelet,log",
            "--case-time-budget",
            "0.5",
        ],
    );
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("6 of 7 cases extracted, 1 failed"),
        "{}",
        stderr(&run)
    );
    let (_, rows) = read_table(&out).unwrap();
    assert_eq!(rows.len(), 6);
    let (_, errors) = read_table(&dir.path().join("features.csv.errors.csv")).unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0][0], "huge");
    assert!(
        errors[0][1].ends_with("huge/images/case_000000.png"),
        "{:?}",
        errors[0]
    );
    assert!(
        errors[0][2].contains("the case exceeded its time budget of 0.5 s (after "),
        "{:?}",
        errors[0]
    );

    // a budget that is no number of seconds is refused before any case is read
    let run = extract(
        &manifest,
        &dir.path().join("x.csv"),
        &["--case-time-budget", "0"],
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr(&run).contains("--case-time-budget must be a positive number of seconds, not 0"),
        "{}",
        stderr(&run)
    );
}

/// Nonzero pixels of a mask PNG.
fn mask_pixels(path: &Path) -> Vec<bool> {
    image::open(path)
        .unwrap()
        .to_luma8()
        .pixels()
        .map(|p| p.0[0] != 0)
        .collect()
}

/// BUSI ships each image beside its mask, and a multi-lesion image's further lesions as
/// `<image>_mask_<n>.png` (`tests/fixtures/busi_multi/`): `--images benign --masks benign`
/// must read those as masks, never as images, and `--extra-masks` decides what they are:
/// `union` (the default) one case per image over both lesions, `separate` one case per
/// lesion (`benign (4)_1`), `ignore` the first mask only. The run says what it did.
#[test]
fn busi_extra_masks_are_masks_joined_separated_or_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let benign = dir.path().join("benign");
    std::fs::create_dir(&benign).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (folder, name) in [
        ("busi/benign", "benign (1).png"),
        ("busi/benign", "benign (1)_mask.png"),
        ("busi_multi", "benign (4).png"),
        ("busi_multi", "benign (4)_mask.png"),
        ("busi_multi", "benign (4)_mask_1.png"),
    ] {
        std::fs::copy(fixtures.join(folder).join(name), benign.join(name)).unwrap();
    }
    let first = mask_pixels(&benign.join("benign (4)_mask.png"));
    let second = mask_pixels(&benign.join("benign (4)_mask_1.png"));
    let count = |m: &[bool]| m.iter().filter(|&&b| b).count() as f64;
    let union: Vec<bool> = first.iter().zip(&second).map(|(a, b)| *a || *b).collect();
    let cases = [
        (
            "union",
            vec![("benign (1)", None), ("benign (4)", Some(count(&union)))],
            "joined",
        ),
        (
            "separate",
            vec![
                ("benign (1)", None),
                ("benign (4)", Some(count(&first))),
                ("benign (4)_1", Some(count(&second))),
            ],
            "cases of their own",
        ),
        (
            "ignore",
            vec![("benign (1)", None), ("benign (4)", Some(count(&first)))],
            "left out",
        ),
    ];
    for (mode, expected, said) in cases {
        let out = dir.path().join(format!("{mode}.csv"));
        let run = sonorad(&[
            "extract",
            "--backend",
            "cpu",
            "--images",
            &text(&benign),
            "--masks",
            &text(&benign),
            "--extra-masks",
            mode,
            "--out",
            &text(&out),
        ]);
        assert_eq!(run.status.code(), Some(0), "{mode}: {}", stderr(&run));
        assert!(
            stderr(&run).contains("1 extra masks of 1 images (<image><suffix>_<n>): ")
                && stderr(&run).contains(said),
            "{mode}: {}",
            stderr(&run)
        );
        let (header, rows) = read_table(&out).unwrap();
        let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        let wanted: Vec<&str> = expected.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, wanted, "{mode}");
        let area = header
            .iter()
            .position(|h| h == "tumor_original_shape2D_PixelSurface")
            .unwrap();
        for (row, (id, pixels)) in rows.iter().zip(&expected) {
            if let Some(pixels) = pixels {
                assert_eq!(row[area].parse::<f64>().unwrap(), *pixels, "{mode} {id}");
            }
        }
    }
}
