-- Neovim end to end: start torchls, wait for its diagnostics, hover, apply the quick fix on the
-- line with non-ASCII text, then source.fixAll, write the buffer.
-- Env: TORCHLS_CMD (JSON argv), TORCHLS_FILE, TORCHLS_TIMEOUT_MS. Exit codes name the failed step.
local T0 = vim.loop.hrtime()
local function log(msg)
  io.stderr:write(string.format("[nvim %.2fs] %s\n", (vim.loop.hrtime() - T0) / 1e9, msg))
end
local STEPS = { start = 2, diagnostics = 3, hover = 4, quickfix = 5, fixall = 6, write = 7 }
local function fail(step, msg)
  log("FAIL " .. step .. ": " .. tostring(msg))
  vim.cmd("cquit " .. (STEPS[step] or 1))
end

local function torchls_diagnostics(bufnr)
  return vim.tbl_filter(function(d) return d.source == "torchls" end, vim.diagnostic.get(bufnr))
end

local function request(bufnr, method, params, timeout)
  local responses = vim.lsp.buf_request_sync(bufnr, method, params, timeout)
  for _, response in pairs(responses or {}) do
    if response.result then return response.result end
  end
end

local function run()
  local cmd = vim.fn.json_decode((assert(os.getenv("TORCHLS_CMD"), "TORCHLS_CMD not set")))
  local file = assert(os.getenv("TORCHLS_FILE"), "TORCHLS_FILE not set")
  local timeout = tonumber(os.getenv("TORCHLS_TIMEOUT_MS") or "60000")
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = "python"
  local config = { name = "torchls", cmd = cmd, root_dir = vim.fn.fnamemodify(file, ":p:h") }
  local client_id
  if vim.lsp.start then
    client_id = vim.lsp.start(config, { bufnr = bufnr })
  else -- Neovim 0.7
    client_id = vim.lsp.start_client(config)
    if client_id then vim.lsp.buf_attach_client(bufnr, client_id) end
  end
  if not client_id then return fail("start", "client did not start") end
  local ready = vim.wait(timeout, function()
    local c = vim.lsp.get_client_by_id(client_id)
    return c ~= nil and c.initialized == true
  end, 20)
  if not ready then return fail("start", "not initialized") end
  local client = vim.lsp.get_client_by_id(client_id)
  log("initialized, position encoding " .. tostring(client.offset_encoding))

  if not vim.wait(timeout, function() return #torchls_diagnostics(bufnr) >= 4 end, 20) then
    return fail("diagnostics", "expected 4 diagnostics, got " .. #torchls_diagnostics(bufnr))
  end
  local eval
  for _, d in ipairs(torchls_diagnostics(bufnr)) do
    log(string.format("diagnostic %d:%d %s %s", d.lnum, d.col, tostring(d.code), d.message))
    if d.lnum == 5 then eval = d end
  end
  if not eval then return fail("diagnostics", "no diagnostic on line 6") end
  local line = vim.api.nvim_buf_get_lines(bufnr, 5, 6, false)[1]
  if line:sub(eval.col + 1, eval.end_col) ~= "eval" then
    return fail("diagnostics", "range does not cover `eval`: " .. line:sub(eval.col + 1, eval.end_col))
  end

  local uri = vim.uri_from_bufnr(bufnr)
  local lsp_position = { line = 5, character = vim.lsp.util.character_offset(bufnr, 5, eval.col + 1, client.offset_encoding) }
  local hover = request(bufnr, "textDocument/hover", { textDocument = { uri = uri }, position = lsp_position }, timeout)
  local text = hover and hover.contents and (hover.contents.value or hover.contents) or ""
  if type(text) ~= "string" or not text:find("is a method of `torch.nn.Module`", 1, true) then
    return fail("hover", vim.inspect(hover))
  end
  log("hover: " .. text:gsub("\n.*", ""))

  -- The LSP form of the diagnostic, as each version's own vim.lsp.buf.code_action() builds it.
  local lsp_diagnostic = eval.user_data and eval.user_data.lsp
  if not (lsp_diagnostic and lsp_diagnostic.range) then -- Neovim 0.7 keeps only part of it there
    for _, d in ipairs(vim.lsp.diagnostic.get_line_diagnostics(bufnr, 5)) do
      if d.source == "torchls" then lsp_diagnostic = d end
    end
  end
  local actions = request(bufnr, "textDocument/codeAction", {
    textDocument = { uri = uri },
    range = lsp_diagnostic.range,
    context = { diagnostics = { lsp_diagnostic }, only = { "quickfix" } },
  }, timeout)
  local preferred
  for _, action in ipairs(actions or {}) do
    if action.isPreferred then preferred = action end
  end
  if not preferred then return fail("quickfix", vim.inspect(actions)) end
  log("quick fix: " .. preferred.title)
  vim.lsp.util.apply_workspace_edit(preferred.edit, client.offset_encoding)

  -- The fix-all request answers for the new text (the server analyses the version it has).
  vim.wait(300)
  local fixall = request(bufnr, "textDocument/codeAction", {
    textDocument = { uri = uri },
    range = { start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 0 } },
    context = { diagnostics = {}, only = { "source.fixAll" } },
  }, timeout)
  if not fixall or not fixall[1] or not fixall[1].edit then return fail("fixall", vim.inspect(fixall)) end
  log("fix all: " .. fixall[1].title)
  vim.lsp.util.apply_workspace_edit(fixall[1].edit, client.offset_encoding)

  local ok, err = pcall(vim.cmd, "silent write")
  if not ok then return fail("write", err) end
  local cleared = vim.wait(timeout, function() return #torchls_diagnostics(bufnr) == 0 end, 20)
  log("diagnostics cleared after the fixes: " .. tostring(cleared))
  if not cleared then return fail("fixall", "diagnostics remain after the fixes") end
  vim.lsp.stop_client(client_id)
  vim.wait(2000, function() return vim.lsp.client_is_stopped(client_id) end, 20)
  log("PASS")
  vim.cmd("qall!")
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  log("ERROR " .. tostring(err))
  vim.cmd("cquit 1")
end
