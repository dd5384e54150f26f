import { initAll } from '/assets/govuk/govuk-frontend.min.js'
import { SortableTable } from '/assets/moj/moj-frontend.min.js'
initAll()
// MOJ Frontend's sortable table (work queues): only this component, so nothing else of MOJ's initialises itself.
document.querySelectorAll('[data-module="moj-sortable-table"]').forEach((table) => new SortableTable(table))

// Bulk file progress: poll the file's progress and reload the page when it has finished.
const progress = document.querySelector('[data-liaison-progress-url]')
if (progress) {
  const url = progress.getAttribute('data-liaison-progress-url')
  const status = progress.querySelector('[data-liaison-progress-text]')
  const tick = async () => {
    try {
      const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      const data = await response.json()
      if (data.state === 'DONE' || data.state === 'REJECTED' || data.state === 'STOPPED' || data.stalled) {
        window.location.reload()
        return
      }
      const total = data.rows_total ? data.rows_total.toLocaleString('en-GB') : 'unknown'
      status.textContent = `${data.state_label}: ${data.rows_done.toLocaleString('en-GB')} of ${total} rows done.`
    } catch (e) {
      status.textContent = 'Still working. This page will update when the file has been processed.'
    }
    setTimeout(tick, 1500)
  }
  setTimeout(tick, 1000)
}
