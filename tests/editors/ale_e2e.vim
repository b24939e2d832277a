" Vim + ALE end to end against torchls: diagnostics, hover, one code action, write.
" Env: TORCHLS_PYTHON, TORCHLS_FILE, TORCHLS_LOG. Exit codes: 3 diagnostics, 4 hover, 5 code action.
set nocompatible
let s:start = reltime()
function! s:Log(message) abort
  call writefile([printf('[vim %.2fs] %s', reltimefloat(reltime(s:start)), a:message)], $TORCHLS_LOG, 'a')
endfunction
function! s:Fail(code, step, message) abort
  call s:Log('FAIL ' . a:step . ': ' . a:message)
  execute 'cquit ' . a:code
endfunction
function! s:Wait(condition, seconds) abort
  let l:deadline = reltimefloat(reltime()) + a:seconds
  while !eval(a:condition) && reltimefloat(reltime()) < l:deadline
    sleep 50m
  endwhile
  return eval(a:condition)
endfunction

set runtimepath^=/usr/share/vim-ale
filetype plugin on
let g:ale_lint_on_text_changed = 'never'
runtime plugin/ale.vim
runtime autoload/ale/util.vim
" Test hooks: capture what ALE would show, and answer its "which action?" prompt with the first.
let g:hover_text = ''
function! ale#util#ShowMessage(string, ...) abort
  let g:hover_text = a:string
endfunction
function! ale#util#Input(message, value, ...) abort
  return '1'
endfunction

call ale#linter#Define('python', {
\   'name': 'torchls',
\   'lsp': 'stdio',
\   'executable': $TORCHLS_PYTHON,
\   'command': '%e -m torchls serve',
\   'project_root': {buffer -> fnamemodify(bufname(buffer), ':p:h')},
\})
let g:ale_linters = {'python': ['torchls']}

try
  execute 'edit ' . fnameescape($TORCHLS_FILE)
  set filetype=python
  ALELint
  if !s:Wait('len(ale#engine#GetLoclist(bufnr("")) ) >= 4', 120)
    call s:Fail(3, 'diagnostics', string(ale#engine#GetLoclist(bufnr(''))))
  endif
  for s:item in ale#engine#GetLoclist(bufnr(''))
    call s:Log(printf('diagnostic %d:%d %s %s', s:item.lnum, s:item.col, get(s:item, 'code', ''), s:item.text))
  endfor
  " ALE 3.3 reads LSP columns as byte columns (it negotiates no position encoding), so the
  " action is taken on an ASCII line: the optimizer's `model.parameters` on line 5.
  call cursor(5, 1)
  call search('parameters', 'c', line('.'))
  ALEHover
  if !s:Wait('g:hover_text =~# "is a method of"', 60)
    call s:Fail(4, 'hover', g:hover_text)
  endif
  call s:Log('hover ok')
  ALECodeAction
  if !s:Wait('getline(5) =~# "model.parameters(), lr"', 60)
    call s:Fail(5, 'code action', getline(5))
  endif
  write
  call s:Log('line 5 after the code action: ' . getline(5))
  call s:Log('PASS')
  qall!
catch
  call s:Log('ERROR ' . v:exception . ' at ' . v:throwpoint)
  cquit 1
endtry
