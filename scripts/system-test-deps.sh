#!/usr/bin/env bash
# Install the system packages the test suite drives for real: Debian's chromium (browser
# tests through Playwright, never Playwright's own browser download), postgresql (the
# annotation store's tests start a throwaway server) and ocrmypdf with Tesseract's English
# data (the opt-in OCR of scanned PDFs, `glossa ingest --ocr`). Only installs what is missing.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
command -v ocrmypdf >/dev/null 2>&1 || need+=(ocrmypdf)
[ -e /usr/share/tesseract-ocr/4.00/tessdata/eng.traineddata ] || ls /usr/share/tesseract-ocr/*/tessdata/eng.traineddata >/dev/null 2>&1 || need+=(tesseract-ocr-eng)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${need[*]}. Install them (Debian: sudo apt-get install ${need[*]}) and re-run." >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
