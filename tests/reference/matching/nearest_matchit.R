# Writes nearest_matchit.json and the cohorts in data/. Run from the repository root:
#   Rscript tests/reference/matching/nearest_matchit.R
# Greedy nearest-neighbour matching with MatchIt on seeded simulated cohorts (several sizes,
# tied propensity scores, categorical covariates) and on MatchIt's lalonde data, over
# caliper (none / 0.2 SD), scale (probability / logit), ratio (1, 2), m.order (largest,
# smallest, data), replacement and exact matching. For each run it stores the match matrix
# as 1-based row numbers (0: no match), the distance (as "%.17g" text, so Python can rerun the matching on
# R's exact numbers), the absolute caliper and the weights; per cohort the propensity model
# coefficients (glm converged to epsilon 1e-14) and binomial standard errors.
suppressPackageStartupMessages(library(MatchIt))

REF_DIR <- "tests/reference/matching"
DATA_DIR <- file.path(REF_DIR, "data")
dir.create(DATA_DIR, showWarnings = FALSE)
CTRL <- list(epsilon = 1e-14, maxit = 100)

simulate <- function(n, seed, ties = FALSE) {
  set.seed(seed)
  sex <- sample(c("F", "M"), n, replace = TRUE)
  stage <- sample(c("II", "III", "IV"), n, replace = TRUE, prob = c(0.3, 0.4, 0.3))
  if (ties) {
    # Only categorical covariates: many patients share a propensity score exactly.
    lp <- -1 + 0.8 * (sex == "M") + 0.6 * (stage == "IV") - 0.4 * (stage == "II")
    d <- data.frame(id = sprintf("P%04d", seq_len(n)), sex = sex, stage = stage)
  } else {
    age <- round(rnorm(n, 62, 10), 1)
    albumin <- round(rnorm(n, 38, 5), 2)
    lp <- -1 + 0.04 * (age - 62) - 0.08 * (albumin - 38) + 0.5 * (sex == "M") +
      0.7 * (stage == "IV")
    d <- data.frame(id = sprintf("P%04d", seq_len(n)), age = age, albumin = albumin,
                    sex = sex, stage = stage)
  }
  d$treat <- rbinom(n, 1, plogis(lp))
  d
}

cohorts <- list(
  sim120 = list(data = simulate(120, 1), formula = treat ~ age + albumin + sex + stage),
  sim400 = list(data = simulate(400, 2), formula = treat ~ age + albumin + sex + stage),
  sim2000 = list(data = simulate(2000, 3), formula = treat ~ age + albumin + sex + stage),
  ties300 = list(data = simulate(300, 4, ties = TRUE), formula = treat ~ sex + stage)
)
data("lalonde", package = "MatchIt")
lal <- lalonde
lal$id <- rownames(lalonde)
lal$race <- as.character(lal$race)
cohorts$lalonde <- list(data = lal[, c("id", "treat", "age", "educ", "race", "married",
                                       "nodegree", "re74", "re75")],
                        formula = treat ~ age + educ + race + married + nodegree + re74 + re75)

hex <- function(x) sprintf("%.17g", unname(x))

run <- function(cohort, engine, link, cal, cal_abs, ratio, ord, replace, ex, mm, ids, w) {
  rows <- matrix(match(mm, ids), nrow = nrow(mm))
  rows[is.na(rows)] <- 0L
  list(cohort = cohort, engine = engine, link = link,
       caliper = if (is.na(cal)) NULL else cal, caliper_abs = cal_abs, ratio = ratio,
       order = ord, replace = replace, exact = if (ex == "") NULL else ex,
       treated_rows = match(rownames(mm), ids),
       match_matrix = lapply(seq_len(nrow(rows)), function(r) I(rows[r, ])),
       weights = unname(w))
}

runs <- list()
models <- list()
for (name in names(cohorts)) {
  co <- cohorts[[name]]
  write.csv(co$data, file.path(DATA_DIR, paste0(name, ".csv")), row.names = FALSE)
  fit <- glm(co$formula, data = co$data, family = binomial, control = CTRL)
  exact_var <- if (name == "lalonde") "race" else "sex"
  models[[name]] <- list(term = names(coef(fit)), coef = unname(coef(fit)),
                         se = unname(sqrt(diag(vcov(fit)))),
                         distance = list(logit = hex(fitted(fit)),
                                         linear.logit = hex(predict(fit, type = "link"))))
  for (link in c("logit", "linear.logit")) {
    dist <- as.numeric(models[[name]]$distance[[link]])
    # Engine "vec": MatchIt's own path for a propensity score (nn_matchC_vec), 1:1 only.
    for (cal in c(NA, 0.2)) for (ord in c("largest", "smallest", "data"))
      for (ex in c("", exact_var)) {
        if (ex != "" && ord != "largest") next
        args <- list(co$formula, data = co$data, method = "nearest", distance = "glm",
                     link = link, distance.options = CTRL, m.order = ord)
        if (!is.na(cal)) args$caliper <- cal
        if (ex != "") args$exact <- reformulate(ex)
        m <- suppressWarnings(do.call(matchit, args))
        stopifnot(identical(hex(m$distance), models[[name]]$distance[[link]]))
        runs[[length(runs) + 1]] <- run(name, "vec", link, cal,
                                        if (is.na(cal)) NULL else unname(m$caliper), 1, ord,
                                        FALSE, ex, m$match.matrix, rownames(co$data), m$weights)
      }
    if (name == "ties300") next
    # Engine "matrix": the same matching from the distance matrix |d_t - d_c| (nn_matchC).
    # It serves treated units in data order, so rows are permuted to give the order.
    for (cal in c(NA, 0.2)) for (ratio in c(1, 2, 3)) for (ord in c("largest", "smallest", "data"))
      for (replace in c(FALSE, TRUE)) for (ex in c("", exact_var)) {
        if (replace && (ord != "data" || ex != "")) next
        if (ex != "" && (ord != "largest" || ratio == 3)) next
        if (ratio == 3 && !replace) next
        tr <- which(co$data$treat == 1)
        tr <- switch(ord, largest = tr[order(dist[tr], decreasing = TRUE)],
                     smallest = tr[order(dist[tr])], data = tr)
        perm <- c(tr, which(co$data$treat == 0))
        dp <- co$data[perm, ]
        dd <- dist[perm]
        D <- abs(outer(dd[dp$treat == 1], dd[dp$treat == 0], "-"))
        args <- list(co$formula, data = dp, method = "nearest", distance = D,
                     ratio = ratio, replace = replace)
        cal_abs <- NULL
        if (!is.na(cal)) {
          cal_abs <- cal * sd(dist)
          args$caliper <- cal_abs
          args$std.caliper <- FALSE
        }
        if (ex != "") args$exact <- reformulate(ex)
        m <- suppressWarnings(do.call(matchit, args))
        w <- numeric(nrow(co$data))
        w[perm] <- m$weights
        runs[[length(runs) + 1]] <- run(name, "matrix", link, cal, cal_abs, ratio, ord, replace,
                                        ex, m$match.matrix, rownames(co$data), w)
      }
  }
}

# MatchIt 4.5.1's nn_matchC_vec compares distances with the integer abs(): differences below 1
# count as 0, so the lower neighbour always wins and a caliper never bites. Demonstrated here;
# the Python tests check oncostat against the "matrix" engine, and against "vec" with the
# same truncation emulated (1:1 only; its second round also skips the row after the first
# match, an off-by-one in check_in).
demo <- data.frame(treat = c(1, 0, 0), x = c(0.5, 0.45, 0.52))
demo_mm <- matchit(treat ~ x, data = demo, distance = c(0.5, 0.45, 0.52),
                   caliper = 0.01, std.caliper = FALSE)$match.matrix
out <- list(generated_by = "tests/reference/matching/nearest_matchit.R",
            r = R.version.string, matchit = as.character(packageVersion("MatchIt")),
            models = models, runs = runs,
            abs_demo = list(distance = c(0.5, 0.45, 0.52), caliper = 0.01,
                            matched_row = match(demo_mm[1, 1], rownames(demo))))
jsonlite::write_json(out, file.path(REF_DIR, "nearest_matchit.json"),
                     digits = NA, auto_unbox = TRUE, pretty = FALSE, null = "null")
