# Writes km_veteran.json and data/veteran.csv. Run from the repository root:
#   Rscript tests/reference/survival/km_veteran.R
# Veterans' lung cancer trial: four cell types (curves that reach 0), stratified by treatment.
source("tests/reference/survival/_common.R")
d <- data.frame(time = veteran$time, status = veteran$status, ev = veteran$status,
                grp = veteran$celltype, strat = veteran$trt)
survival_fixture(d, "veteran", "km_veteran.R", event_codes = NULL,
                 times = c(30, 90, 180, 365), tau = 365)
