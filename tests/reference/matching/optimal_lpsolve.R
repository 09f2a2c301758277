# Writes optimal_lpsolve.json. Run from the repository root (after nearest_matchit.R, which
# writes the cohorts in data/):
#   Rscript tests/reference/matching/optimal_lpsolve.R
# Optimal matching as MatchIt's method = "optimal" defines it (optmatch: the matched sets
# with the smallest total distance), solved here as a transportation problem with lpSolve,
# because optmatch is neither in Debian nor reachable on CRAN from the build machines.
# Distance: |difference in the logit of the propensity score| (glm as in nearest_matchit.R).
# Each focal (treated) patient takes at most `ratio` controls and each control serves at
# most once; the number of pairs is maximised first (pairs beyond the caliper are
# forbidden), then the total distance is minimised: costs are distance - M with M larger
# than any total. The LP relaxation of a transportation problem has integral vertices.
# Stored per run: the number of pairs and the total distance of the optimum ("%.17g").
suppressPackageStartupMessages(library(lpSolve))

REF_DIR <- "tests/reference/matching"
CTRL <- list(epsilon = 1e-14, maxit = 100)
hex <- function(x) sprintf("%.17g", unname(x))

formulas <- list(sim120 = treat ~ age + albumin + sex + stage,
                 sim400 = treat ~ age + albumin + sex + stage,
                 ties300 = treat ~ sex + stage,
                 lalonde = treat ~ age + educ + race + married + nodegree + re74 + re75)
exact_var <- c(sim120 = "sex", sim400 = "sex", ties300 = "sex", lalonde = "race")

optimum <- function(dt, dc, ratio, cal) {
  cost <- abs(outer(dt, dc, "-"))
  allowed <- if (is.na(cal)) cost >= 0 else cost <= cal
  if (!any(allowed)) return(c(pairs = 0, total = 0))
  big <- sum(cost[allowed]) + 1
  obj <- ifelse(allowed, cost - big, 1)   # forbidden pairs only add cost: never chosen
  sol <- lp.transport(obj, "min", row.signs = rep("<=", length(dt)),
                      row.rhs = rep(ratio, length(dt)), col.signs = rep("<=", length(dc)),
                      col.rhs = rep(1, length(dc)), integers = NULL)
  stopifnot(sol$status == 0)
  x <- round(sol$solution)
  stopifnot(all(abs(sol$solution - x) < 1e-9), all(x[!allowed] == 0))
  c(pairs = sum(x), total = sum(x * cost))
}

runs <- list()
distances <- list()
for (name in names(formulas)) {
  d <- read.csv(file.path(REF_DIR, "data", paste0(name, ".csv")))
  fit <- glm(formulas[[name]], data = d, family = binomial, control = CTRL)
  lg <- unname(predict(fit, type = "link"))
  distances[[name]] <- hex(lg)
  tr <- d$treat == 1
  sd_all <- sd(lg)
  configs <- list(c(1, NA, 0), c(2, NA, 0), c(1, 0.2, 0), c(2, 0.2, 0), c(1, NA, 1),
                  c(1, 0.2, 1))
  for (cf in configs) {
    ratio <- cf[1]; cal <- if (is.na(cf[2])) NA else cf[2] * sd_all; ex <- cf[3] == 1
    strata <- if (ex) d[[exact_var[[name]]]] else rep("all", nrow(d))
    pairs <- 0; total <- 0
    for (s in unique(strata[tr])) {
      o <- optimum(lg[tr & strata == s], lg[!tr & strata == s], ratio, cal)
      pairs <- pairs + o[["pairs"]]; total <- total + o[["total"]]
    }
    runs[[length(runs) + 1]] <- list(
      cohort = name, ratio = ratio, caliper = if (is.na(cf[2])) NULL else cf[2],
      caliper_abs = if (is.na(cal)) NULL else hex(cal),
      exact = if (ex) exact_var[[name]] else NULL, pairs = pairs, total = hex(total))
  }
}
jsonlite::write_json(list(distances = distances, runs = runs,
                          lpSolve = as.character(packageVersion("lpSolve"))),
                     file.path(REF_DIR, "optimal_lpsolve.json"), auto_unbox = TRUE,
                     digits = NA, pretty = TRUE, null = "null")
