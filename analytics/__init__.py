"""Analytics: roll-ups over the organisation tree, Plotly figures, dashboards, exports and site evaluation."""
