// CSV edge list for spreadsheets, one row per edge (cells: interop/csv_cell.h).
#include "accountability/internal.h"
#include "interop/csv_cell.h"
#include "ledger/money.h"

namespace fundtrail::map {

void write_csv(const Map& m, std::ostream& out) {
  using detail::date_text;
  const Graph& g = m.graph;
  const int exp = m.facts.exponent;
  out << "type,source,target,mechanism,amount,amount_minor,count,first_date,last_date,kind,subject,recorded,joint,"
         "joint_with,start_date,end_date,seq,reference,model,cap,paid,gap\r\n";
  for (auto [e, end] = edges(g); e != end; ++e) {
    const EdgeData& d = g[*e];
    bool f = d.type == EdgeType::funding, r = d.type == EdgeType::responsibility, c = d.type == EdgeType::contract;
    std::vector<std::string> row = {
        name_of(d.type),
        g[source(*e, g)].id,
        g[target(*e, g)].id,
        f ? d.mechanism : "",
        f ? format_money(d.amount, exp) : "",
        f ? std::to_string(d.amount) : "",
        f ? std::to_string(d.count) : "",
        f ? date_text(d.first_date) : "",
        f ? date_text(d.last_date) : "",
        r ? d.kind : "",
        r || c ? d.subject : "",
        r ? (d.recorded ? "true" : "false") : "",
        r ? (d.joint ? "true" : "false") : "",
        r ? d.joint_with : "",
        r || c ? date_text(d.start) : "",
        r || c ? date_text(d.end) : "",
        (r && d.recorded) || c ? std::to_string(d.seq) : "",
        c ? d.reference : "",
        c ? d.model : "",
        c && d.cap ? format_money(d.cap, exp) : "",
        c ? format_money(d.paid, exp) : "",
        d.gap ? "true" : "false",
    };
    for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << interop::csv_cell(row[i]);
    out << "\r\n";
  }
}

}  // namespace fundtrail::map
