"""The supervisor dashboard as a supervisor sees it: drawn with no style refused by the
Content-Security-Policy, every chart's text inside its card, dates in the page's language."""
import re

import pytest

from tests.browser.conftest import ARTIFACTS

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# Records what the policy refuses before any of the page's own scripts run (init scripts are not
# subject to the page's policy).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (event) {
  window.__violations.push(event.effectiveDirective + ' ' + (event.blockedURI || 'inline') + ' '
                           + (event.sourceFile || '') + ':' + (event.lineNumber || ''));
});
"""

# Every piece of text a chart drew (tick labels, axis titles, annotations, bar and treemap labels),
# with where it lies against the chart's card. Hidden text (a treemap label that did not fit) has no box.
TEXT_OUTSIDE_CARDS = """
() => {
  const outside = [];
  document.querySelectorAll('.chart').forEach(chart => {
    const card = chart.closest('.card').getBoundingClientRect();
    chart.querySelectorAll('svg text').forEach(text => {
      const box = text.getBoundingClientRect();
      if (!text.textContent.trim() || box.width === 0 || box.height === 0) return;
      if (getComputedStyle(text).display === 'none' || text.closest('[display="none"]')) return;
      if (box.left < card.left - 1 || box.right > card.right + 1 || box.top < card.top - 1
          || box.bottom > card.bottom + 1) {
        outside.push(chart.dataset.figure + ': "' + text.textContent + '" at ' + Math.round(box.left) + ','
                     + Math.round(box.top) + '-' + Math.round(box.right) + ',' + Math.round(box.bottom)
                     + ' card ' + Math.round(card.left) + ',' + Math.round(card.top) + '-'
                     + Math.round(card.right) + ',' + Math.round(card.bottom));
      }
    });
  });
  return outside;
}
"""


def open_dashboard(visitors, viewport):
    supervisor = visitors(viewport)
    supervisor.context.add_init_script(RECORD_VIOLATIONS)
    supervisor.log_in("supervisor", "Super@2026")
    page = supervisor.page
    page.goto("/dashboard/")
    charts = page.locator(".chart")
    assert charts.count() >= 5
    page.wait_for_function("() => [...document.querySelectorAll('.chart')].every(c => c.querySelector('.main-svg'))",
                           timeout=15_000)
    page.wait_for_timeout(300)  # responsive charts settle to their card's width
    return supervisor


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_dashboard_charts_draw_inside_their_cards_with_no_style_refused(visitors, viewport):
    supervisor = open_dashboard(visitors, viewport)
    page = supervisor.page
    page.screenshot(path=str(ARTIFACTS / f"dashboard-charts-{viewport['width']}.png"), full_page=True)
    assert page.evaluate("window.__violations") == []
    assert page.evaluate(TEXT_OUTSIDE_CARDS) == []
    # The deadline and requirement lines are labelled (the labels are what used to fall outside).
    labels = page.locator(".chart .annotation-text").all_text_contents()
    assert "截止日期" in labels and "应修要求" in labels, labels
    assert supervisor.errors == []


def test_dashboard_dates_follow_the_page_language(visitors):
    supervisor = open_dashboard(visitors, LAPTOP)
    page = supervisor.page
    ticks = page.locator("[data-figure='timeline-data'] .xtick text").all_text_contents()
    assert ticks and all(re.fullmatch(r"\d{1,2}月\d{1,2}日", tick) for tick in ticks), ticks
    page.locator("button[name=language][value=en]").click()
    page.wait_for_load_state()
    page.wait_for_function("() => [...document.querySelectorAll('.chart')].every(c => c.querySelector('.main-svg'))")
    ticks = page.locator("[data-figure='timeline-data'] .xtick text").all_text_contents()
    assert ticks and all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", tick) for tick in ticks), ticks
