# Writes mahalanobis_matchit.json. Run from the repository root (after nearest_matchit.R,
# which writes the cohorts in data/):
#   Rscript tests/reference/matching/mahalanobis_matchit.R
# Greedy nearest-neighbour matching on the Mahalanobis distance within a propensity-score
# caliper (MatchIt's `mahvars`, distance = "glm"): on the simulated cohorts and lalonde,
# for both links, caliper 0.2 SD of the distance (and none), ratio 1 and 2, m.order
# largest / smallest / data. Stored per run: the match matrix as 1-based row numbers
# (0: no match), the absolute caliper and the weights; per cohort and link the distance
# (as "%.17g" text, so Python can rerun the matching on R's exact numbers).
suppressPackageStartupMessages(library(MatchIt))

REF_DIR <- "tests/reference/matching"
DATA_DIR <- file.path(REF_DIR, "data")
CTRL <- list(epsilon = 1e-14, maxit = 100)

cohorts <- list(
  sim400 = list(formula = treat ~ age + albumin + sex + stage, mahvars = ~ age + albumin),
  sim2000 = list(formula = treat ~ age + albumin + sex + stage, mahvars = ~ age + albumin),
  lalonde = list(formula = treat ~ age + educ + race + married + nodegree + re74 + re75,
                 mahvars = ~ age + educ + re74 + re75)
)

runs <- list()
distances <- list()
for (name in names(cohorts)) {
  co <- cohorts[[name]]
  d <- read.csv(file.path(DATA_DIR, paste0(name, ".csv")), stringsAsFactors = FALSE)
  ids <- rownames(d)
  for (link in c("logit", "linear.logit")) for (cal in c(NA, 0.2)) for (ratio in c(1, 2))
    for (ord in c("largest", "smallest", "data")) {
      if (is.na(cal) && ord != "largest") next
      args <- list(co$formula, data = d, method = "nearest", distance = "glm", link = link,
                   distance.options = CTRL, mahvars = co$mahvars, ratio = ratio,
                   m.order = ord)
      if (!is.na(cal)) args$caliper <- cal
      m <- suppressWarnings(do.call(matchit, args))
      distances[[name]][[link]] <- sprintf("%.17g", unname(m$distance))
      rows <- matrix(match(m$match.matrix, ids), nrow = nrow(m$match.matrix))
      rows[is.na(rows)] <- 0L
      runs[[length(runs) + 1]] <- list(
        cohort = name, link = link, caliper = if (is.na(cal)) NULL else cal,
        caliper_abs = if (is.na(cal)) NULL else unname(m$caliper), ratio = ratio,
        order = ord, mahvars = all.vars(co$mahvars),
        treated_rows = match(rownames(m$match.matrix), ids),
        match_matrix = lapply(seq_len(nrow(rows)), function(r) I(rows[r, ])),
        weights = unname(m$weights))
    }
}
out <- list(generated_by = "tests/reference/matching/mahalanobis_matchit.R",
            r = R.version.string, matchit = as.character(packageVersion("MatchIt")),
            distance = distances, runs = runs)
jsonlite::write_json(out, file.path(REF_DIR, "mahalanobis_matchit.json"), digits = NA,
                     auto_unbox = TRUE, pretty = FALSE)
